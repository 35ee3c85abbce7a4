import XCTest
import QDSimulator

/// Every gate against its dense Kronecker-product matrix, on random batched states, for every
/// target and control placement on up to 5 qubits, plain and as adjoint.
final class GateTests: XCTestCase {
    static let oneWireGates: [Gate] = [.identity, .hadamard, .pauliX, .pauliY, .pauliZ, .s, .sAdjoint, .t, .tAdjoint, .sx,
                                       .rx, .ry, .rz, .phaseShift, .rot, .u3]

    func check(_ op: QuantumOperation, qubits n: Int, rng: inout TestRandom, file: StaticString = #filePath, line: UInt = #line) throws {
        let values = op.parameters.map { p -> Double in if case .constant(let v) = p { return v }; return 0 }
        var c = try Circuit(qubits: n)
        try c.append(op)
        let full = DenseReference.matrix(of: op, values: values, qubits: n)
        // batch 1 takes the single-state kernels (8-amplitude blocks for low wires), batch 3 the batched ones
        for batch in [1, 3] {
            let states = (0..<batch).map { _ in rng.state(qubits: n) }
            let out = try Simulator(threads: 1).state(c, initialState: StateBatch(amplitudes: states))
            for b in 0..<batch {
                let expected = DenseReference.apply(full, states[b])
                let got = out.amplitudes(item: b)
                let err = zip(expected, got).map { ($0 - $1).magnitudeSquared.squareRoot() }.max()!
                XCTAssertLessThan(err, 1e-12, "\(op.label) wires \(op.wires) controls \(op.controls) n=\(n) batch \(batch)", file: file, line: line)
            }
        }
    }

    func testEveryOneWireGateOnEveryWireAgainstKronecker() throws {
        var rng = TestRandom(1)
        for n in 1...5 {
            for gate in Self.oneWireGates {
                for w in 0..<n {
                    for adjoint in [false, true] {
                        let params = (0..<gate.parameterCount).map { _ in Parameter.constant(rng.uniform(-3, 3)) }
                        try check(QuantumOperation(gate, wires: [w], parameters: params, adjoint: adjoint), qubits: n, rng: &rng)
                    }
                }
            }
        }
    }

    func testKroneckerEmbeddingAgreesWithProjectorReference() {
        // The two reference constructions must agree on an uncontrolled one-wire gate.
        let m = Gate.ry.matrix([0.7])
        for w in 0..<3 {
            let a = DenseReference.embed(m, wire: w, qubits: 3)
            let b = DenseReference.matrix(of: QuantumOperation(.ry, wires: [w], parameters: [.constant(0.7)]), values: [0.7], qubits: 3)
            XCTAssertLessThan(a.maxDistance(to: b), 1e-15)
        }
    }

    func testControlledGatesOnEveryPlacement() throws {
        var rng = TestRandom(2)
        for n in 2...5 {
            for gate in Self.oneWireGates {
                for t in 0..<n { for c in 0..<n where c != t {
                    let params = (0..<gate.parameterCount).map { _ in Parameter.constant(rng.uniform(-3, 3)) }
                    try check(QuantumOperation(gate, wires: [t], controls: [c], parameters: params, adjoint: rng.uniform() > 0), qubits: n, rng: &rng)
                } }
            }
        }
    }

    func testToffoliAndTwoControlsOnEveryPlacement() throws {
        var rng = TestRandom(3)
        for n in 3...5 {
            for t in 0..<n { for c1 in 0..<n where c1 != t { for c2 in 0..<n where c2 != t && c2 != c1 {
                try check(QuantumOperation(.pauliX, wires: [t], controls: [c1, c2]), qubits: n, rng: &rng)
                try check(QuantumOperation(.rot, wires: [t], controls: [c1, c2], parameters: [.constant(0.3), .constant(-1.1), .constant(2)]), qubits: n, rng: &rng)
            } } }
        }
    }

    func testSwapAndArbitraryUnitariesOnEveryPlacement() throws {
        var rng = TestRandom(4)
        for n in 2...5 {
            for a in 0..<n { for b in 0..<n where a != b {
                try check(QuantumOperation(.swap, wires: [a, b]), qubits: n, rng: &rng)
                try check(QuantumOperation(.unitary(rng.unitary(4)), wires: [a, b]), qubits: n, rng: &rng)
                try check(QuantumOperation(.unitary(rng.unitary(4)), wires: [a, b], adjoint: true), qubits: n, rng: &rng)
                if n >= 3, let c = (0..<n).first(where: { $0 != a && $0 != b }) {
                    try check(QuantumOperation(.unitary(rng.unitary(4)), wires: [a, b], controls: [c]), qubits: n, rng: &rng)
                }
            } }
            if n >= 3 {
                try check(QuantumOperation(.unitary(rng.unitary(8)), wires: [2, 0, 1]), qubits: n, rng: &rng)
            }
        }
    }

    func testSingleStateKernelsOnLowWiresMatchBatchedKernels() throws {
        // From 10 qubits a single state applies gates on its three lowest wires in 8-amplitude
        // blocks; the batched kernels (checked against dense matrices above) are the reference.
        var rng = TestRandom(6)
        let n = 10
        let placements: [(target: Int, controls: [Int])] = [(9, []), (8, []), (7, []), (6, []), (0, []),
            (9, [0]), (8, [9]), (7, [8, 9]), (0, [9]), (2, [7, 8]), (9, [3, 5]), (5, [9, 1])]
        for gate in Self.oneWireGates {
            for (t, cs) in placements {
                let params = (0..<gate.parameterCount).map { _ in Parameter.constant(rng.uniform(-3, 3)) }
                var c = try Circuit(qubits: n)
                try c.apply(gate, [t], controls: cs, parameters: params, adjoint: rng.uniform() > 0)
                let psi = rng.state(qubits: n)
                let single = try Simulator(threads: 1).state(c, initialState: StateBatch(amplitudes: [psi]))
                let batched = try Simulator(threads: 1).state(c, initialState: StateBatch(amplitudes: [psi, psi]))
                let err = zip(single.amplitudes(item: 0), batched.amplitudes(item: 1)).map { ($0 - $1).magnitudeSquared.squareRoot() }.max()!
                XCTAssertLessThan(err, 1e-13, "\(gate.label) target \(t) controls \(cs)")
            }
        }
    }

    func testFusedSequenceMatchesProductOfDenseMatrices() throws {
        // A long random circuit exercises fusion, diagonal and permutation kernels together.
        var rng = TestRandom(5)
        let n = 5
        var c = try Circuit(qubits: n)
        var full = ComplexMatrix.identity(1 << n)
        for _ in 0..<60 {
            let gate = Self.oneWireGates[rng.int(0..<Self.oneWireGates.count)]
            let w = rng.int(0..<n)
            let params = (0..<gate.parameterCount).map { _ in Parameter.constant(rng.uniform(-3, 3)) }
            var op = QuantumOperation(gate, wires: [w], parameters: params)
            if rng.uniform() > 0.6 { op.controls = [(w + 1 + rng.int(0..<(n - 1))) % n] }
            try c.append(op)
            let values = params.map { if case .constant(let v) = $0 { return v } else { return 0 } }
            full = DenseReference.matrix(of: op, values: values, qubits: n) * full
        }
        let psi = rng.state(qubits: n)
        let got = try Simulator(threads: 1).state(c, initialState: StateBatch(amplitudes: [psi])).amplitudes(item: 0)
        let expected = DenseReference.apply(full, psi)
        XCTAssertLessThan(zip(expected, got).map { ($0 - $1).magnitudeSquared.squareRoot() }.max()!, 1e-12)
    }
}
