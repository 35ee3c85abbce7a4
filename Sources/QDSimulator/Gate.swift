import Foundation

/// A gate's action on its target wires, without controls or adjoint (those live on ``QuantumOperation``).
///
/// Matrices follow PennyLane's definitions exactly, with c = cos(θ/2) and s = sin(θ/2):
///
///     RX(θ) = [[c, −is], [−is, c]]          RY(θ) = [[c, −s], [s, c]]
///     RZ(θ) = diag(e^{−iθ/2}, e^{iθ/2})     PhaseShift(φ) = diag(1, e^{iφ})
///     Rot(φ, θ, ω) = RZ(ω)·RY(θ)·RZ(φ)
///     U3(θ, φ, δ) = [[c, −e^{iδ}s], [e^{iφ}s, e^{i(φ+δ)}c]]
///
/// Controlled gates (CNOT, CY, CZ, CRX, CRY, CRZ, CRot, Toffoli, and a controlled version of
/// any gate) are an ``QuantumOperation`` with control wires around one of these.
public enum Gate: Equatable, Sendable {
    case identity, hadamard, pauliX, pauliY, pauliZ, s, sAdjoint, t, tAdjoint, sx
    case rx, ry, rz, phaseShift, rot, u3
    case swap
    /// An arbitrary unitary on k = log2(dimension) wires, checked for unitarity when built.
    case unitary(ComplexMatrix)

    /// Number of real parameters the gate takes.
    public var parameterCount: Int {
        switch self {
        case .rx, .ry, .rz, .phaseShift: return 1
        case .rot, .u3: return 3
        default: return 0
        }
    }

    /// Number of target wires.
    public var wireCount: Int {
        switch self {
        case .swap: return 2
        case .unitary(let m): return m.qubitCount ?? 0
        default: return 1
        }
    }

    /// The label used in diagrams, matching PennyLane's drawer.
    public var label: String {
        switch self {
        case .identity: return "I"
        case .hadamard: return "H"
        case .pauliX: return "X"
        case .pauliY: return "Y"
        case .pauliZ: return "Z"
        case .s: return "S"
        case .sAdjoint: return "S†"
        case .t: return "T"
        case .tAdjoint: return "T†"
        case .sx: return "SX"
        case .rx: return "RX"
        case .ry: return "RY"
        case .rz: return "RZ"
        case .phaseShift: return "Rϕ"
        case .rot: return "Rot"
        case .u3: return "U3"
        case .swap: return "SWAP"
        case .unitary: return "U"
        }
    }

    /// How a parameter enters the gate, which fixes its parameter-shift rule:
    /// `.rotation` generators have eigenvalues ±½, `.phase` generators have eigenvalues {0, 1}.
    public enum ParameterKind: Sendable { case rotation, phase }

    /// The kind of each parameter, in order.
    public var parameterKinds: [ParameterKind] {
        switch self {
        case .rx, .ry, .rz: return [.rotation]
        case .phaseShift: return [.phase]
        case .rot: return [.rotation, .rotation, .rotation]
        case .u3: return [.rotation, .phase, .phase]
        default: return []
        }
    }

    /// The gate's matrix for the given parameter values (`values.count == parameterCount`).
    public func matrix(_ values: [Double]) -> ComplexMatrix {
        switch self {
        case .swap:
            var m = ComplexMatrix.identity(4)
            m[1, 1] = .zero; m[2, 2] = .zero; m[1, 2] = .one; m[2, 1] = .one
            return m
        case .unitary(let u): return u
        default: return oneWire(GateAngles(values)).complexMatrix
        }
    }

    /// ∂U/∂θ_k for every parameter k, at the given values.
    public func derivatives(_ values: [Double]) -> [ComplexMatrix] {
        let angles = GateAngles(values)
        return (0..<parameterCount).map { oneWireDerivative($0, angles).complexMatrix }
    }

    /// The matrix of a one-wire gate (every case but `.swap` and multi-wire `.unitary`).
    func oneWire(_ p: GateAngles) -> Matrix2 {
        let h = 1 / 2.0.squareRoot()
        switch self {
        case .identity: return .identity
        case .hadamard: return Matrix2(Complex(h), Complex(h), Complex(h), Complex(-h))
        case .pauliX: return Matrix2(.zero, .one, .one, .zero)
        case .pauliY: return Matrix2(.zero, Complex(0, -1), .i, .zero)
        case .pauliZ: return .diagonal(.one, Complex(-1))
        case .s: return .diagonal(.one, .i)
        case .sAdjoint: return .diagonal(.one, Complex(0, -1))
        case .t: return .diagonal(.one, .phase(.pi / 4))
        case .tAdjoint: return .diagonal(.one, .phase(-.pi / 4))
        case .sx: return Matrix2(Complex(0.5, 0.5), Complex(0.5, -0.5), Complex(0.5, -0.5), Complex(0.5, 0.5))
        case .rx:
            let c = cos(p[0] / 2), s = sin(p[0] / 2)
            return Matrix2(Complex(c), Complex(0, -s), Complex(0, -s), Complex(c))
        case .ry:
            let c = cos(p[0] / 2), s = sin(p[0] / 2)
            return Matrix2(Complex(c), Complex(-s), Complex(s), Complex(c))
        case .rz: return .diagonal(.phase(-p[0] / 2), .phase(p[0] / 2))
        case .phaseShift: return .diagonal(.one, .phase(p[0]))
        case .rot: return Gate.rz.oneWire(GateAngles(p[2])) * Gate.ry.oneWire(GateAngles(p[1])) * Gate.rz.oneWire(GateAngles(p[0]))
        case .u3:
            let (theta, phi, delta) = (p[0], p[1], p[2])
            let c = cos(theta / 2), s = sin(theta / 2)
            let e01: Complex = -(s * Complex.phase(delta)), e10: Complex = s * Complex.phase(phi)
            return Matrix2(Complex(c), e01, e10, c * Complex.phase(phi + delta))
        case .unitary(let u): return Matrix2(u)
        case .swap: return .identity  // not a one-wire gate; never asked
        }
    }

    /// ∂U/∂θ_k of a one-wire gate.
    ///
    /// Rotations R(θ) = exp(−iθG/2) give ∂R/∂θ = −(i/2)·G·R; Rot differentiates its
    /// RZ·RY·RZ factors; U3 and PhaseShift differentiate entrywise.
    func oneWireDerivative(_ k: Int, _ p: GateAngles) -> Matrix2 {
        let minusHalfI = Complex(0, -0.5)
        switch self {
        case .rx: return minusHalfI * (Gate.pauliX.oneWire(p) * oneWire(p))
        case .ry: return minusHalfI * (Gate.pauliY.oneWire(p) * oneWire(p))
        case .rz: return minusHalfI * (Gate.pauliZ.oneWire(p) * oneWire(p))
        case .phaseShift: return .diagonal(.zero, Complex.i * .phase(p[0]))
        case .rot:
            let a = GateAngles(p[0]), b = GateAngles(p[1]), c = GateAngles(p[2])
            switch k {
            case 0: return Gate.rz.oneWire(c) * Gate.ry.oneWire(b) * Gate.rz.oneWireDerivative(0, a)
            case 1: return Gate.rz.oneWire(c) * Gate.ry.oneWireDerivative(0, b) * Gate.rz.oneWire(a)
            default: return Gate.rz.oneWireDerivative(0, c) * Gate.ry.oneWire(b) * Gate.rz.oneWire(a)
            }
        case .u3:
            let (theta, phi, delta) = (p[0], p[1], p[2])
            let c = cos(theta / 2), s = sin(theta / 2)
            switch k {
            case 0:
                return Matrix2(Complex(-s / 2), -((c / 2) * Complex.phase(delta)),
                               (c / 2) * Complex.phase(phi), -((s / 2) * Complex.phase(phi + delta)))
            case 1: return Matrix2(.zero, .zero, Complex.i * (s * .phase(phi)), Complex.i * (c * .phase(phi + delta)))
            default: return Matrix2(.zero, -(Complex.i * (s * .phase(delta))), .zero, Complex.i * (c * .phase(phi + delta)))
            }
        default: return Matrix2(.zero, .zero, .zero, .zero)
        }
    }
}
