/// Named builders for every standard gate, so circuits read like PennyLane code:
/// `try c.ry(.trainable(0), 1)`, `try c.cnot(0, 1)`.
extension Circuit {
    /// Identity on `w`.
    public mutating func identity(_ w: Int) throws { try apply(.identity, [w]) }
    /// Hadamard on `w`.
    public mutating func h(_ w: Int) throws { try apply(.hadamard, [w]) }
    /// Pauli X on `w`.
    public mutating func x(_ w: Int) throws { try apply(.pauliX, [w]) }
    /// Pauli Y on `w`.
    public mutating func y(_ w: Int) throws { try apply(.pauliY, [w]) }
    /// Pauli Z on `w`.
    public mutating func z(_ w: Int) throws { try apply(.pauliZ, [w]) }
    /// S = diag(1, i) on `w`.
    public mutating func s(_ w: Int) throws { try apply(.s, [w]) }
    /// S† on `w`.
    public mutating func sdg(_ w: Int) throws { try apply(.sAdjoint, [w]) }
    /// T = diag(1, e^{iπ/4}) on `w`.
    public mutating func t(_ w: Int) throws { try apply(.t, [w]) }
    /// T† on `w`.
    public mutating func tdg(_ w: Int) throws { try apply(.tAdjoint, [w]) }
    /// √X on `w`.
    public mutating func sx(_ w: Int) throws { try apply(.sx, [w]) }
    /// RX(θ) on `w`.
    public mutating func rx(_ p: Parameter, _ w: Int) throws { try apply(.rx, [w], parameters: [p]) }
    /// RY(θ) on `w`.
    public mutating func ry(_ p: Parameter, _ w: Int) throws { try apply(.ry, [w], parameters: [p]) }
    /// RZ(θ) on `w`.
    public mutating func rz(_ p: Parameter, _ w: Int) throws { try apply(.rz, [w], parameters: [p]) }
    /// PhaseShift(φ) on `w`.
    public mutating func phaseShift(_ p: Parameter, _ w: Int) throws { try apply(.phaseShift, [w], parameters: [p]) }
    /// Rot(φ, θ, ω) = RZ(ω)RY(θ)RZ(φ) on `w`.
    public mutating func rot(_ phi: Parameter, _ theta: Parameter, _ omega: Parameter, _ w: Int) throws {
        try apply(.rot, [w], parameters: [phi, theta, omega])
    }
    /// U3(θ, φ, δ) on `w`.
    public mutating func u3(_ theta: Parameter, _ phi: Parameter, _ delta: Parameter, _ w: Int) throws {
        try apply(.u3, [w], parameters: [theta, phi, delta])
    }
    /// CNOT with control `c`, target `t`.
    public mutating func cnot(_ c: Int, _ t: Int) throws { try apply(.pauliX, [t], controls: [c]) }
    /// Controlled-Y.
    public mutating func cy(_ c: Int, _ t: Int) throws { try apply(.pauliY, [t], controls: [c]) }
    /// Controlled-Z.
    public mutating func cz(_ c: Int, _ t: Int) throws { try apply(.pauliZ, [t], controls: [c]) }
    /// SWAP of `a` and `b`.
    public mutating func swap(_ a: Int, _ b: Int) throws { try apply(.swap, [a, b]) }
    /// Controlled RX.
    public mutating func crx(_ p: Parameter, _ c: Int, _ t: Int) throws { try apply(.rx, [t], controls: [c], parameters: [p]) }
    /// Controlled RY.
    public mutating func cry(_ p: Parameter, _ c: Int, _ t: Int) throws { try apply(.ry, [t], controls: [c], parameters: [p]) }
    /// Controlled RZ.
    public mutating func crz(_ p: Parameter, _ c: Int, _ t: Int) throws { try apply(.rz, [t], controls: [c], parameters: [p]) }
    /// Controlled Rot.
    public mutating func crot(_ phi: Parameter, _ theta: Parameter, _ omega: Parameter, _ c: Int, _ t: Int) throws {
        try apply(.rot, [t], controls: [c], parameters: [phi, theta, omega])
    }
    /// Toffoli (CCX) with controls `c1`, `c2` and target `t`.
    public mutating func toffoli(_ c1: Int, _ c2: Int, _ t: Int) throws { try apply(.pauliX, [t], controls: [c1, c2]) }

    /// An arbitrary unitary `matrix` (2^k × 2^k) on k `wires`; rejects non-unitary or non-finite matrices.
    public mutating func unitary(_ matrix: ComplexMatrix, _ wires: [Int], controls: [Int] = []) throws {
        guard let k = matrix.qubitCount, k == wires.count else {
            throw SimulatorError.invalidMatrix("a unitary on \(wires.count) wire(s) must be \(1 << wires.count)×\(1 << wires.count); got \(matrix.dimension)×\(matrix.dimension)")
        }
        guard matrix.isFinite else { throw SimulatorError.invalidMatrix("unitary matrix has non-finite entries") }
        guard matrix.isUnitary(tolerance: 1e-8) else {
            throw SimulatorError.invalidMatrix("matrix is not unitary: max |U·U† − I| = \((matrix * matrix.adjoint).maxDistance(to: .identity(matrix.dimension))), tolerance 1e-8")
        }
        try apply(.unitary(matrix), wires, controls: controls)
    }
}
