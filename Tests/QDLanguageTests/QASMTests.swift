import XCTest
import QDLanguage
import QDSimulator

/// OpenQASM 3 round trips keep the state exactly, for every gate, modifier and parameter kind;
/// imports of OpenQASM 2 and bad programs behave.
final class QASMTests: XCTestCase {
    private func amplitudes(_ v: Value) -> [Complex] {
        guard case .state(let s) = v else { return [] }
        return s.amplitudes(item: 0)
    }

    func testEveryGateRoundTrips() throws {
        let qd = Interpreter()
        _ = try qd.evaluate("""
        let c = circuit(4) {
            param a[3] = [0.3, -0.7, 1.9]
            h 0; x 1; y 2; z 3; s 0; sdg 1; t 2; tdg 3; sx 0; id 1
            rx(a[0]) 1; ry(0.4) 2; rz(a[1]) 3; p(0.25) 0; rot(a[0], 0.5, a[2]) 1; u3(0.1, a[1], 0.3) 2
            swap 0, 3; cx 0, 1; cy 1, 2; cz 2, 3; ch 3, 0; crx(0.2) 0, 2; cry(a[2]) 1, 3; crz(0.6) 2, 0
            cp(0.9) 3, 1; crot(0.1, 0.2, 0.3) 0, 1; ccx 0, 1, 2; cswap 3, 0, 1
            inv @ rot(0.4, a[0], 0.6) 2; ctrl(2) @ inv @ u3(0.3, 0.2, a[1]) 0, 1, 3; ctrl @ sx 2, 3; inv @ t 1
        }
        let back = from_qasm(qasm(c))
        """)
        let a = amplitudes(try qd.evaluate("state(c)")), b = amplitudes(try qd.evaluate("state(back, params: c.params)"))
        XCTAssertEqual(a.count, 16)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.re, y.re, accuracy: 1e-13)
            XCTAssertEqual(x.im, y.im, accuracy: 1e-13)
        }
        XCTAssertEqual(try qd.evaluate("back.param_count").asInt, 3)
    }

    func testOpenQASM2AndMultipleRegisters() throws {
        let v = try Interpreter().evaluate("""
        probs(from_qasm("OPENQASM 2.0;\\ninclude \\"qelib1.inc\\";\\nqreg a[1];\\nqreg b[2];\\nx a[0];\\nu2(0, pi) b[1]; // a Hadamard\\ncx a[0], b[0];\\nbarrier a, b;"))
        """)
        // wire 0 = a[0] = 1, wire 1 = b[0] = 1 (CNOT), wire 2 = b[1] in |+⟩
        XCTAssertEqual(try v.asArray?.data.map { ($0 * 1e12).rounded() / 1e12 }, [0, 0, 0, 0, 0, 0, 0.5, 0.5])
    }

    func testBadProgramsNameTheLine() {
        let r = ScriptRunner()
        XCTAssertEqual(r.run("from_qasm(\"OPENQASM 3.0;\\nqubit[2] q;\\nfoo q[0];\")").first,
                       "test.qd:1:1: error: OpenQASM line 3: unsupported gate 'foo'; supported: the stdgates.inc gates, U, u1, u2, u3, cu1")
        XCTAssertEqual(r.run("from_qasm(\"qubit[2] q;\\nh q[5];\")").first,
                       "test.qd:1:1: error: OpenQASM line 2: q[5] is out of range; q has 2 qubits")
        XCTAssertEqual(r.run("from_qasm(\"qubit[1] q;\\nrx(theta) q[0];\")").first,
                       "test.qd:1:1: error: OpenQASM line 2: cannot read 'theta' in a parameter (only constants, pi and one input name)")
        // a register of 2⁶³ − 1 qubits once overflowed the qubit count
        XCTAssertEqual(r.run("from_qasm(\"qreg r[2];\\nqubit[9223372036854775807] big;\")").first,
                       "test.qd:1:1: error: OpenQASM line 2: register 'big' of 9223372036854775807 qubits makes more than the 34 a circuit may have (2 declared before it)")
        XCTAssertEqual(r.run("qasm(circuit(1) { input x[2]\namplitude(x) on 0 })").first,
                       "test.qd:1:1: error: qasm: OpenQASM 3 has no gate for amplitude embedding; export the circuit without it")
    }
}
