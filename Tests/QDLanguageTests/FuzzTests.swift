import XCTest
import QDLanguage

/// No input may crash the interpreter: thousands of mutated examples and random token streams run
/// under a statement budget and small-circuit limits, and each must end normally or with diagnostics.
final class FuzzTests: XCTestCase {
    private var options: Interpreter.Options {
        var o = Interpreter.Options()
        o.statementBudget = 2000
        o.maxQubits = 10
        o.maxTensorElements = 100_000
        o.threads = 1
        return o
    }

    private func runs(_ text: String) {
        let qd = Interpreter(options: options)
        qd.onDisplay = { _ in }
        qd.onProgress = { _ in }
        _ = qd.run(SourceFile(name: "fuzz.qd", text: text))
    }

    func testMutatedExamplesNeverCrash() throws {
        var seedRng = SeededFuzzRandom(seed: 2026)
        let sources = try ["circuits.qd", "hermitian.qd"].map {
            try String(contentsOf: ScriptRunner.root.appendingPathComponent("examples/\($0)"), encoding: .utf8)
        }
        let pieces = ["(", ")", "[", "]", "{", "}", ",", ";", "\n", "0", "-1", "40", "1e308", "pi", "x", "@", "on", "each", "ctrl @ ", "inv @ ",
                      "..<", "...", "+", "*", "^", "\"", "#", "let ", "fn ", "return", "circuit(2) {", "param w[2] = ", "input z[3]", ".", "nil", "im",
                      "9223372036854775807", "-9223372036854775807 - 1", "1e300", "%", "abs(", "round(", "len("]
        for count in 0..<1500 {
            var chars = Array(sources[count % sources.count])
            for _ in 0..<(1 + Int(seedRng.next() % 4)) {
                guard !chars.isEmpty else { break }
                let at = Int(seedRng.next() % UInt64(chars.count))
                switch seedRng.next() % 3 {
                case 0: chars.remove(at: at)
                case 1: chars.insert(contentsOf: pieces[Int(seedRng.next() % UInt64(pieces.count))], at: at)
                default:
                    let end = min(chars.count, at + Int(seedRng.next() % 20))
                    chars.removeSubrange(at..<end)
                }
            }
            runs(String(chars))
        }
    }

    func testRandomTokenStreamsAndBytesNeverCrash() {
        var rng = SeededFuzzRandom(seed: 7)
        let tokens = ["let", "x", "=", "1", "2.5", "(", ")", "[", "]", "{", "}", ",", ":", ";", "\n", "+", "-", "*", "/", "%", "^", "==", "<", "..<",
                      "...", "and", "or", "not", "if", "else", "for", "in", "fn", "return", "circuit", "param", "input", "on", "each", "seed", "time",
                      "h", "cx", "rx", "Z0", "X1", "probs", "expect", "state", "grad", "sample", "@", "ctrl", "inv", "\"s\"", "nil", "true", "im", ".", "f"]
        for _ in 0..<2000 {
            let n = 1 + Int(rng.next() % 40)
            runs((0..<n).map { _ in tokens[Int(rng.next() % UInt64(tokens.count))] }.joined(separator: " "))
        }
        for _ in 0..<500 {
            let bytes = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            runs(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Every builtin function, called with each extreme value as its only argument, after a
    /// circuit, and twice, ends normally or with diagnostics (ctrl with a control wire of
    /// 2⁶³ − 1 and round of 10³⁰⁰ once stopped the program).
    func testEveryBuiltinWithExtremeArgumentsNeverCrashes() throws {
        var o = options
        o.workingDirectory = try scratchDirectory("qd-builtin-fuzz")
        let qd = Interpreter(options: o)
        qd.onDisplay = { _ in }
        qd.onProgress = { _ in }
        XCTAssertTrue(qd.run(SourceFile(name: "setup.qd", text: "let c = circuit(2) { h 0\n cx 0, 1 }")).isEmpty)
        let functions = qd.registry.names.filter { name in
            guard let entry = qd.registry.entry(name), case .function = entry.value else { return false }
            return entry.category != "gate"
        }
        XCTAssertGreaterThan(functions.count, 40)
        let extremes = ["9223372036854775807", "-9223372036854775807 - 1", "-1", "0", "1e300", "-1e308", "1e308 * 10", "1e308 * 10 - 1e308 * 10",
                        "0..<9223372036854775807", "[]", "[[]]", "[-1]", "\"\"", "nil", "c", "Z0"]
        for name in functions {
            for v in extremes {
                for call in ["\(name)(\(v))", "\(name)(c, \(v))", "\(name)(\(v), \(v))"] {
                    _ = qd.run(SourceFile(name: "call.qd", text: call))
                }
            }
        }
    }

    func testPathologicalInputsAreErrors() {
        let qd = Interpreter(options: options)
        qd.onDisplay = { _ in }
        for text in [String(repeating: "[", count: 100_000), "fn f() { return f() }\nf()", "for i in 0..<1000000000 { }",
                     "zeros(100000, 100000)", "circuit(1000) { }", "1 / 0", "[1][10 ^ 18]",
                     // each of these stopped the program (integer traps, a range expanded into memory)
                     "0...9223372036854775807", "len(-9223372036854775807..<9223372036854775807)", "abs(-9223372036854775807 - 1)",
                     "X0 on each 0..<9223372036854775807", "(0..<1000000000000) + 1", "tensor(0..<9223372036854775807)",
                     "ctrl(circuit(1) { x 0 }, 9223372036854775807)", "circuit(1) { param t[1000000, 1000000, 1000000, 1000000] }",
                     "circuit(1) { input z[1000000, 1000000] }", "circuit(1) { param t[100000, 100000] }"] {
            XCTAssertFalse(qd.run(SourceFile(name: "p.qd", text: text)).isEmpty, "no error for \(text.prefix(40))")
        }
        XCTAssertEqual(try qd.evaluate("2 ^ 100000").asDouble, .infinity)
        XCTAssertEqual(try qd.evaluate("(-9223372036854775807 - 1) % -1").asInt, 0)
        XCTAssertEqual(try qd.evaluate("round(1e300)").asDouble, 1e300)
        XCTAssertEqual(try qd.evaluate("round(-2.5)").asInt, -3)
        XCTAssertEqual(try qd.evaluate("len(-5..<9223372036854775807 - 5)").asInt, .max)
        XCTAssertEqual(try qd.evaluate("len(3..<1)").asInt, 0)
        // a dimension of 1 broadcasts to 0 (it once became 1 and read past an empty tensor)
        XCTAssertEqual(try qd.evaluate("zeros(2, 0) + 1").asArray?.shape, [2, 0])
        XCTAssertEqual(try qd.evaluate("zeros(2, 0) * ones(2, 1)").asArray?.shape, [2, 0])
        XCTAssertEqual(try qd.evaluate("len(cos([[]]) + 1)").asInt, 1)
        XCTAssertEqual(try qd.evaluate("let s = \"ab\"\nfor i in 0..<20 { s = s + s }\nlen(s)").asInt, 2 << 20)
    }
}

/// SplitMix64 for reproducible fuzzing.
struct SeededFuzzRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
