import XCTest
import QDSimulator

/// Known states and identities, composition, sampling, diagrams and execution counts.
final class CircuitTests: XCTestCase {
    let sim = Simulator(threads: 1)

    func amplitudes(_ c: Circuit) throws -> [Complex] { try sim.state(c).amplitudes(item: 0) }

    func assertClose(_ a: [Complex], _ b: [Complex], _ tol: Double = 1e-12, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) { XCTAssertLessThan((x - y).magnitudeSquared.squareRoot(), tol, file: file, line: line) }
    }

    func testBellAndGHZStates() throws {
        let r = 1 / 2.0.squareRoot()
        var bell = try Circuit(qubits: 2)
        try bell.h(0); try bell.cnot(0, 1)
        assertClose(try amplitudes(bell), [Complex(r), .zero, .zero, Complex(r)])
        var ghz = try Circuit(qubits: 3)
        try ghz.h(0); try ghz.cnot(0, 1); try ghz.cnot(1, 2)
        assertClose(try amplitudes(ghz), [Complex(r)] + Array(repeating: .zero, count: 6) + [Complex(r)])
        XCTAssertEqual(try sim.probabilities(ghz)[0], [0.5, 0, 0, 0, 0, 0, 0, 0.5].map { $0 }, accuracy: 1e-12)
    }

    func testWireZeroIsTheMostSignificantBit() throws {
        var c = try Circuit(qubits: 3)
        try c.x(0)
        let p = try sim.probabilities(c)[0]
        XCTAssertEqual(p[4], 1, accuracy: 1e-15)   // |100⟩
        XCTAssertEqual(try sim.state(c).basisLabel(4), "|100⟩")
    }

    func testHZHIsXAndRotDecomposition() throws {
        let hzh = Gate.hadamard.matrix([]) * Gate.pauliZ.matrix([]) * Gate.hadamard.matrix([])
        XCTAssertLessThan(hzh.maxDistance(to: Gate.pauliX.matrix([])), 1e-15)
        let (phi, theta, omega) = (0.3, -1.2, 2.1)
        let rot = Gate.rot.matrix([phi, theta, omega])
        let product = Gate.rz.matrix([omega]) * Gate.ry.matrix([theta]) * Gate.rz.matrix([phi])
        XCTAssertLessThan(rot.maxDistance(to: product), 1e-15)
        // and applied as circuits, on a random state
        var rng = TestRandom(21)
        let psi = try StateBatch(amplitudes: [rng.state(qubits: 2)])
        var a = try Circuit(qubits: 2), b = try Circuit(qubits: 2)
        try a.rot(.constant(phi), .constant(theta), .constant(omega), 1)
        try b.rz(.constant(phi), 1); try b.ry(.constant(theta), 1); try b.rz(.constant(omega), 1)
        assertClose(try sim.state(a, initialState: psi).amplitudes(item: 0), try sim.state(b, initialState: psi).amplitudes(item: 0))
    }

    func testInverseFollowedByCircuitIsIdentity() throws {
        var rng = TestRandom(22)
        var c = try Circuit(qubits: 4)
        try c.stronglyEntanglingLayers(layers: 2, wires: [0, 1, 2, 3])
        try c.crot(.constant(0.4), .constant(1.0), .constant(-0.3), 2, 1)
        try c.toffoli(0, 3, 1)
        try c.unitary(rng.unitary(4), [3, 0])
        let theta = (0..<c.trainableCount).map { _ in rng.uniform(-3, 3) }
        let both = try c.appending(c.inverse())
        let psi = rng.state(qubits: 4)
        let out = try sim.state(both, trainable: theta, initialState: StateBatch(amplitudes: [psi]))
        assertClose(out.amplitudes(item: 0), psi, 1e-12)
    }

    func testRepeatAndControlledComposition() throws {
        var x = try Circuit(qubits: 1)
        try x.x(0)
        assertClose(try amplitudes(x.repeated(2)), [.one, .zero])
        assertClose(try amplitudes(x.repeated(3)), [.zero, .one])
        // X controlled by wire 1 is CNOT(1, 0)
        let cx = try x.controlled(by: [1])
        XCTAssertEqual(cx.qubits, 2)
        var prep = try Circuit(qubits: 2)
        try prep.x(1)
        assertClose(try amplitudes(prep.appending(cx)), [.zero, .zero, .zero, .one])
    }

    func testSamplingIsSeededAndEstimatesExpectations() throws {
        var c = try Circuit(qubits: 2)
        try c.ry(.constant(1.1), 0); try c.cnot(0, 1); try c.rx(.constant(0.4), 1)
        let a = try sim.sample(c, shots: 100, seed: 7), b = try sim.sample(c, shots: 100, seed: 7)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, try sim.sample(c, shots: 100, seed: 8))
        var h = ComplexMatrix.identity(4)
        h[0, 3] = Complex(0.3, -0.2); h[3, 0] = Complex(0.3, 0.2); h[1, 1] = Complex(-0.5)
        let obs: [Observable] = [.pauli([PauliTerm(1, [(0, .z), (1, .x)]), PauliTerm(0.5, [(1, .y)])]),
                                 .hermitian(h, wires: [0, 1]), .trainableHermitian(wires: [1], offset: 0)]
        let q = [0.3, 0.1, -0.7, 0.4, 0.2, 0.9, -1.0, 0.5]
        let shots = 200_000
        let exact = try sim.expectations(c, observables: obs, observableParameters: q)
        let estimate = try sim.estimatedExpectations(c, observables: obs, observableParameters: q, shots: shots, seed: 3)
        for k in 0..<3 { XCTAssertEqual(estimate.values[k], exact.values[k], accuracy: 5 * 2 / Double(shots).squareRoot()) }
    }

    func testPauliExpectationsAgreeWithDenseReferenceOnWideBatches() throws {
        // Z-only terms take a one-pass path for B ≥ 8; every term kind against ⟨ψ|P|ψ⟩ with dense P.
        var rng = TestRandom(24)
        let n = 3
        let states = (0..<9).map { _ in rng.state(qubits: n) }
        let terms = [PauliTerm(0.5, [(0, .z), (2, .z)]), PauliTerm(-1.2, [(1, .z)]), PauliTerm(0.25, []),
                     PauliTerm(0.8, [(0, .x), (1, .y)]), PauliTerm(1.1, [(2, .y), (0, .z)])]
        let e = try sim.expectations(Circuit(qubits: n), observables: [.pauli(terms)], initialState: StateBatch(amplitudes: states))
        let pauli: [Pauli: ComplexMatrix] = [.x: Gate.pauliX.matrix([]), .y: Gate.pauliY.matrix([]), .z: Gate.pauliZ.matrix([])]
        var dense = ComplexMatrix(dimension: 8, entries: Array(repeating: .zero, count: 64))
        for t in terms {
            var m = ComplexMatrix.identity(1)
            for w in 0..<n { m = m.kron(t.factors.first { $0.wire == w }.map { pauli[$0.pauli]! } ?? .identity(2)) }
            dense = dense + Complex(t.coefficient) * m
        }
        for (b, psi) in states.enumerated() { XCTAssertEqual(e[b, 0], DenseReference.expectation(dense, psi), accuracy: 1e-12) }
    }

    func testHermitianEigenDecompositionReconstructsTheMatrix() {
        var rng = TestRandom(23)
        var a = rng.unitary(4)
        a = a + a.adjoint
        let (values, v) = hermitianEigen(a)
        let rebuilt = v * ComplexMatrix.diagonal(values.map { Complex($0) }) * v.adjoint
        XCTAssertLessThan(rebuilt.maxDistance(to: a), 1e-10)
        XCTAssertTrue(v.isUnitary(tolerance: 1e-10))
    }

    func testDiagramGoldenOutput() throws {
        var c = try Circuit(qubits: 3)
        try c.h(0); try c.cnot(0, 1); try c.ry(.trainable(0), 2); try c.toffoli(0, 2, 1)
        let expected = """
        0: ─H──────╭●─╭●─┤  <Z0>
        1: ────────╰X─├X─┤
        2: ─RY(θ0)────╰●─┤
        """
        XCTAssertEqual(c.diagram(observables: [.z(0)]), expected)
    }

    func testExecutionCounter() throws {
        let s = Simulator(threads: 1)
        var c = try Circuit(qubits: 2)
        try c.ry(.trainable(0), 0); try c.crx(.trainable(1), 0, 1)
        _ = try s.expectations(c, observables: [.z(1)], trainable: [0.1, 0.2], inputs: .empty(batch: 3))
        XCTAssertEqual(s.counter.forward, 3)
        _ = try s.vectorJacobianProduct(c, observables: [.z(1)], trainable: [0.1, 0.2], upstream: [1])
        XCTAssertEqual([s.counter.forward, s.counter.adjoint], [4, 1])
        s.counter.reset()
        _ = try s.parameterShiftGradient(c, observables: [.z(1)], trainable: [0.1, 0.2], upstream: [1])
        // one unshifted run, RY two shifts, CRX four shifts
        XCTAssertEqual([s.counter.forward, s.counter.shifted], [1, 6])
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
