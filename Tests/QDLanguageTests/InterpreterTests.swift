import XCTest
import QDLanguage
import QDSimulator
import QDTensor

/// The interpreter through its embedding API: values, control flow, circuits against the
/// simulator used directly, gradients against finite differences, and run-time diagnostics.
final class InterpreterTests: XCTestCase {
    private func value(_ text: String) throws -> Value { try Interpreter().evaluate(text) }

    private func number(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        let v = try value(text)
        guard let d = v.asDouble else { XCTFail("\(text) gave \(v.typeName)", file: file, line: line); return .nan }
        return d
    }

    private func error(_ text: String) -> String {
        let r = ScriptRunner()
        return r.run(text).first ?? "no error"
    }

    func testThreadsOptionReachesTheTensorKernels() {
        let saved = TensorThreads.count
        defer { TensorThreads.count = saved }
        for n in [1, 3] {
            var options = Interpreter.Options()
            options.threads = n
            _ = Interpreter(options: options)
            XCTAssertEqual(TensorThreads.count, n, "--threads \(n) must bound the tensor kernels too")
        }
    }

    func testArithmeticAndValues() throws {
        XCTAssertEqual(try value("1 + 2 * 3").asInt, 7)
        XCTAssertEqual(try value("2 ^ 10").asInt, 1024)
        XCTAssertEqual(try number("7 / 2"), 3.5)
        XCTAssertEqual(try value("7 % 3").asInt, 1)
        XCTAssertEqual(try number("sin(pi / 2)"), 1, accuracy: 1e-15)
        XCTAssertEqual(try value("(1 + 2im) * (3 - 1im)").asComplex, Complex(5, 5))
        XCTAssertEqual(try value("\"a\" + \"b\"").asString, "ab")
        XCTAssertEqual(try value("len([1, 2, 3] + [4])").asInt, 4)
        XCTAssertEqual(try value("[1, 2, 3][-1]").asInt, 3)
        XCTAssertEqual(try value("tensor([[1, 2], [3, 4]])[1, 0]").asDouble, 3)
        XCTAssertEqual(try value("(tensor([[1, 2], [3, 4]]) + [10, 20]).shape").asIntList, [2, 2])
        XCTAssertEqual(try number("sum(tensor([[1, 2], [3, 4]]) * 2)"), 20)
        XCTAssertEqual(try value("1 < 2 and not (3 == 4)").asBool, true)
    }

    func testControlFlowFunctionsAndScopes() throws {
        XCTAssertEqual(try value("""
        fn fact(n) { if n <= 1 { return 1 } ; return n * fact(n - 1) }
        fact(10)
        """).asInt, 3_628_800)
        XCTAssertEqual(try value("""
        let total = 0
        for i in 1...10 { if i % 2 == 0 { total = total + i } }
        total
        """).asInt, 30)
        XCTAssertEqual(try value("fn f(a, b = 10) { return a - b }\nf(b: 1, a: 5)").asInt, 4)
        XCTAssertEqual(try value("let xs = [1, 2, 3]\nxs[1] = 20\nxs").asIntList, [1, 20, 3])
    }

    /// A circuit built in the language gives the same state as the same gates built in Swift.
    func testCircuitStateMatchesTheSimulator() throws {
        let v = try value("""
        state(circuit(3) {
            h 0
            cx 0, 1
            ry(0.3) 2
            ctrl @ rz(0.7) 2, 0
            inv @ t 1
            cswap 0, 1, 2
            u3(0.1, 0.2, 0.3) 1
        })
        """)
        guard case .state(let s) = v else { return XCTFail("expected a state") }
        var c = try Circuit(qubits: 3)
        try c.h(0); try c.cnot(0, 1); try c.ry(.constant(0.3), 2)
        try c.apply(.rz, [0], controls: [2], parameters: [.constant(0.7)])
        try c.apply(.t, [1], adjoint: true)
        try c.apply(.swap, [1, 2], controls: [0])
        try c.u3(.constant(0.1), .constant(0.2), .constant(0.3), 1)
        let reference = try Simulator(threads: 1).state(c)
        for a in 0..<8 {
            let x = s.amplitude(item: 0, index: a), y = reference.amplitude(item: 0, index: a)
            XCTAssertEqual(x.re, y.re, accuracy: 1e-14)
            XCTAssertEqual(x.im, y.im, accuracy: 1e-14)
        }
    }

    /// grad(...) against central finite differences of expect(...) through the language.
    func testGradientsMatchFiniteDifferences() throws {
        let qd = Interpreter()
        _ = try qd.evaluate("""
        fn make(t) {
            return circuit(3) {
                input x[8]
                param w[2, 3, 3] = t
                amplitude(x) on 0..<3
                strongly_entangling(w) on 0..<3
            }
        }
        let w0 = [0.1, -0.4, 0.7, 0.2, 0.5, -0.3, 0.9, 0.1, -0.6, 0.3, 0.8, -0.2, 0.4, -0.7, 0.6, 0.05, -0.15, 0.25]
        let x0 = [0.3, -0.1, 0.8, 0.2, -0.5, 0.4, 0.1, 0.6]
        let obs = [0.7 * Z0 + X1 * Y2, hermitian([[1, 2 - 1im], [2 + 1im, -0.5]]) on 2]
        """)
        guard case .tensor(let g) = try qd.evaluate("grad(obs, make(w0), x: x0)") else { return XCTFail() }
        guard case .tensor(let gx) = try qd.evaluate("grad(obs, make(w0), x: x0, wrt: \"inputs\")") else { return XCTFail() }
        let h = 1e-6
        for k in [0, 4, 11, 17] {
            let plus = try qd.evaluate("let wp = w0\nwp[\(k)] = wp[\(k)] + \(h)\nsum(expect(obs, make(wp), x: x0))").asDouble!
            let minus = try qd.evaluate("let wm = w0\nwm[\(k)] = wm[\(k)] - \(h)\nsum(expect(obs, make(wm), x: x0))").asDouble!
            XCTAssertEqual(g.data[k], (plus - minus) / (2 * h), accuracy: 1e-7)
        }
        for k in [0, 3, 7] {
            let plus = try qd.evaluate("let xp = x0\nxp[\(k)] = xp[\(k)] + \(h)\nsum(expect(obs, make(w0), x: xp))").asDouble!
            let minus = try qd.evaluate("let xm = x0\nxm[\(k)] = xm[\(k)] - \(h)\nsum(expect(obs, make(w0), x: xm))").asDouble!
            XCTAssertEqual(gx.data[k], (plus - minus) / (2 * h), accuracy: 1e-7)
        }
    }

    func testBatchedInputsGiveOneRowPerItem() throws {
        let v = try value("""
        let c = circuit(1) { input a[1]; ry(a[0]) 0 }
        expect([Z0, X0], c, a: [[0], [pi / 2], [pi]])
        """)
        guard case .tensor(let t) = v else { return XCTFail() }
        XCTAssertEqual(t.shape, [3, 2])
        let expected = [1.0, 0, 0, 1, -1, 0]
        for (a, b) in zip(t.data, expected) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    }

    func testComposedCircuitsShareParametersByIdentity() throws {
        let qd = Interpreter()
        _ = try qd.evaluate("let c = circuit(1) { param t = 0.25; rx(t) 0 }")
        XCTAssertEqual(try qd.evaluate("(c + c).param_count").asInt, 1)
        XCTAssertEqual(try qd.evaluate("expect(Z0, c + c)").asDouble!, cos(0.5), accuracy: 1e-14)
        XCTAssertEqual(try qd.evaluate("expect(Z0, repeat(c, 4))").asDouble!, cos(1.0), accuracy: 1e-14)
        XCTAssertEqual(try qd.evaluate("expect(Z0, c + inv(c))").asDouble!, 1, accuracy: 1e-14)
        let d = try qd.evaluate("let d = circuit(1) { param t = 0.5; ry(t) 0 }\n(c + d).param_names")
        XCTAssertEqual(d.asStrings, ["t", "t_2"])
    }

    func testSeedMakesRandomThingsReproducible() throws {
        let script = "seed 5\nlet c = circuit(2) { param w[2] = normal(0, 1); ry(w[0]) 0; ry(w[1]) 1 }\nc.params"
        let a = try Interpreter().evaluate(script), b = try Interpreter().evaluate(script)
        let c = try Interpreter().evaluate(script.replacingOccurrences(of: "seed 5", with: "seed 6"))
        XCTAssertEqual(try a.asArray, try b.asArray)
        XCTAssertNotEqual(try a.asArray, try c.asArray)
    }

    func testRuntimeErrorsNameThePlaceAndTheValidRange() {
        XCTAssertEqual(error("let c = circuit(2) {\n  h 2\n}"), "test.qd:2:3: error: h: wire 2 is out of range; valid wires are 0..<2")
        XCTAssertEqual(error("let c = circuit(2) {\n  cx 0, 2\n}"), "test.qd:2:3: error: cx: wire 2 is out of range; valid wires are 0..<2")
        XCTAssertEqual(error("circuit(3) { ctrl @ ry(0.1) 0, 3 }"), "test.qd:1:14: error: ry: wire 3 is out of range; valid wires are 0..<3")
        XCTAssertEqual(error("circuit(2) { cx 1, 1 }"), "test.qd:1:14: error: cx: wires [1, 1] repeat a wire; each wire may appear once")
        XCTAssertEqual(error("circuit(2) { h 0, 0, 2 }"), "test.qd:1:14: error: h: wire 2 is out of range; valid wires are 0..<2")
        XCTAssertEqual(error("circuit(3) { param w[2, 5, 3]; strongly_entangling(w) on 0..<5 }"),
                       "test.qd:1:32: error: strongly_entangling: wire 3 is out of range; valid wires are 0..<3")
        XCTAssertEqual(error("let b = circuit(2) { cx 0, 1 }\ncircuit(3) { ctrl @ b 0, 1, 3 }"),
                       "test.qd:2:14: error: placing a 2-qubit circuit on controls [0] and [1, 3]: wire 3 is out of range; valid wires are 0..<3")
        XCTAssertEqual(error("let theta = 1\nthta + 1"), "test.qd:2:1: error: unknown name 'thta'; did you mean 'theta'?")
        XCTAssertEqual(error("[1, 2][5]"), "test.qd:1:1: error: index 5 is out of range for a list of length 2; valid indices are 0..<2 (or -2...-1)")
        XCTAssertEqual(error("circuit(2) { rx 0 }"), "test.qd:1:14: error: rx takes 1 parameter(s); got 0: write rx(θ) q")
        XCTAssertEqual(error("sample(circuit(1) { h 0 }, shots: 0)"), "test.qd:1:1: error: sample: argument 'shots' is 0; it must be in 1...100000000")
        XCTAssertEqual(error("expect(Z0, 3)"), "test.qd:1:1: error: expect: argument 'circuit' must be a circuit; got int 3")
        XCTAssertEqual(error("h 0"), "test.qd:1:1: error: the gate statement 'h ...' must be inside a circuit block: circuit(n) { h ... }")
        XCTAssertEqual(error("circuit(40) { }"), "test.qd:1:9: error: circuit(n): n must be an integer in 1...34; got 40")
        XCTAssertEqual(error("expect(Z0 * Z0, circuit(1) { h 0 })"),
                       "test.qd:1:8: error: the product of two Pauli operators on the same wire 0 is not supported; multiply Paulis on different wires (Z0 * Z1)")
        XCTAssertEqual(error("hermitian([[1, 1], [0, 1]]) on 0"), "test.qd:1:1: error: hermitian: the matrix is not Hermitian (M ≠ M† within 1e-10)")
        XCTAssertEqual(error("circuit(1) { param w = normal(0, -0.5); ry(w) 0 }"),
                       "test.qd:1:24: error: normal: argument 'std' is -0.5; it must be ≥ 0")
        XCTAssertEqual(error("normal(0, exp(1000))"), "test.qd:1:1: error: normal: argument 'std' is inf; it must be finite")
    }

    func testRuntimeErrorsCarryTheCallTrace() {
        let qd = Interpreter()
        let source = SourceFile(name: "t.qd", text: "fn inner(q) {\n  return circuit(1) { x q }\n}\nfn outer() {\n  return inner(3)\n}\nouter()\n")
        let d = qd.run(source)
        XCTAssertEqual(d.count, 1)
        XCTAssertEqual(d.first?.rendered(source: source), """
        t.qd:2:23: error: x: wire 3 is out of range; valid wires are 0..<1
              return circuit(1) { x q }
                                  ^
          called from inner at t.qd:5:10
          called from outer at t.qd:7:1
        """)
    }

    func testBindingsMadeBeforeAnErrorAreKept() {
        let r = ScriptRunner()
        XCTAssertFalse(r.run("let kept = 42\nundefined_name").isEmpty)
        XCTAssertEqual(try r.interpreter.evaluate("kept").asInt, 42)
    }

    func testDisplayIsSuppressedBySemicolonAndJSONHasFullPrecision() {
        let r = ScriptRunner()
        r.run("1 / 3;\n1 / 3\nprobs(circuit(1) { h 0 })")
        XCTAssertEqual(r.lines, ["0.3333333333", "[0.5, 0.5]"])
        XCTAssertEqual(r.json[0], "{\"type\":\"float\",\"value\":0.3333333333333333}")
        XCTAssertEqual(r.json[1], "{\"type\":\"tensor\",\"shape\":[2],\"data\":[0.4999999999999999,0.4999999999999999]}")
    }
}

extension Value {
    var asString: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    var asStrings: [String]? {
        guard case .list(let items) = self else { return nil }
        return items.compactMap(\.asString)
    }
}
