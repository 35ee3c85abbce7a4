import XCTest
import QDSimulator

/// Bad input gets a ``SimulatorError`` whose message names the valid range; nothing traps.
final class BadInputTests: XCTestCase {
    func assertError(_ fragment: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected an error mentioning '\(fragment)'", file: file, line: line)
        } catch {
            XCTAssertTrue("\(error)".contains(fragment), "'\(error)' does not mention '\(fragment)'", file: file, line: line)
        }
    }

    func testWireOutOfRangeNamesTheValidRange() throws {
        var c = try Circuit(qubits: 3)
        assertError("valid wires are 0..<3") { try c.h(3) }
        assertError("valid wires are 0..<3") { try c.cnot(-1, 0) }
        assertError("repeat a wire") { try c.cnot(1, 1) }
        assertError("valid wires are 0..<3") {
            _ = try Simulator().expectations(Circuit(qubits: 3), observables: [.z(5)])
        }
        assertError("1...34") { _ = try Circuit(qubits: 0) }
        // a control wire of 2⁶³ − 1 once overflowed the grown circuit's wire count
        assertError("controls: wire 9223372036854775807 is out of range; a circuit has at most 34 wires") {
            _ = try c.controlled(by: [.max])
        }
    }

    func testTooManyQubitsForMemory() {
        assertError("limit is") { _ = try StateBatch(qubits: 34, batch: 1) }
        assertError("limit is") { _ = try StateBatch(qubits: 26, batch: 4096) }
    }

    func testWrongParameterCounts() throws {
        var c = try Circuit(qubits: 2)
        assertError("takes 1 parameter(s); got 0") { try c.apply(.rx, [0]) }
        try c.ry(.trainable(2), 0)
        assertError("3 trainable parameter(s) (slots 0..<3); got 1") {
            _ = try Simulator().expectations(c, observables: [.z(0)], trainable: [0.1])
        }
        assertError("must be finite") {
            _ = try Simulator().expectations(c, observables: [.z(0)], trainable: [0, 0, .nan])
        }
        assertError("the observables read 8 observable parameter(s); got 3") {
            _ = try Simulator().expectations(c, observables: [.trainableHermitian(wires: [0], offset: 0)],
                                             trainable: [0, 0, 0], observableParameters: [1, 2, 3])
        }
    }

    func testNonUnitaryAndNonHermitianMatrices() throws {
        var c = try Circuit(qubits: 2)
        let notUnitary = try ComplexMatrix(realRows: [[1, 1], [0, 1]])
        assertError("not unitary") { try c.unitary(notUnitary, [0]) }
        assertError("must be 4×4") { try c.unitary(.identity(2), [0, 1]) }
        assertError("not Hermitian") {
            _ = try Simulator().expectations(c, observables: [.hermitian(notUnitary, wires: [1])])
        }
    }

    func testZeroNaNAndTooLongInputVectors() throws {
        // shots beyond the range once tried to allocate 2⁶³ − 1 samples
        assertError("shots must be in 1...100000000; got 9223372036854775807") {
            _ = try Simulator().sample(Circuit(qubits: 1), shots: .max, seed: 1)
        }
        assertError("shots must be in 1...100000000; got 0") { _ = try Simulator().sample(Circuit(qubits: 1), shots: 0, seed: 1) }
        // a batch × features product that overflows is a mismatch, not a trap
        assertError("do not form 9223372036854775807 item(s) × 2 feature(s)") { _ = try Inputs(batch: .max, features: 2, values: [1, 2]) }
        var c = try Circuit(qubits: 2)
        try c.amplitudeEmbedding(features: 0..<4, wires: [0, 1])
        assertError("item 1 has norm 0.0") {
            _ = try Simulator().expectations(c, observables: [.z(0)], inputs: Inputs(rows: [[1, 0, 0, 0], [0, 0, 0, 0]]))
        }
        assertError("input item 0, feature 2 is nan") {
            _ = try Simulator().expectations(c, observables: [.z(0)], inputs: Inputs(rows: [[1, 0, .nan, 0]]))
        }
        var d = try Circuit(qubits: 2)
        assertError("5 features do not fit in 2^2 = 4 amplitudes") { try d.amplitudeEmbedding(features: 0..<5, wires: [0, 1]) }
        assertError("reads 4 input feature(s) per item") {
            _ = try Simulator().expectations(c, observables: [.z(0)], inputs: Inputs(rows: [[1, 2]]))
        }
        assertError("need batch 1 × 1 observable(s) = 1") {
            _ = try Simulator().vectorJacobianProduct(c, observables: [.z(0)], inputs: Inputs(rows: [[1, 2, 3, 4]]), upstream: [1, 2])
        }
    }
}
