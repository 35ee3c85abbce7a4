/// Where a gate parameter's value comes from.
public enum Parameter: Equatable, Sendable, CustomStringConvertible {
    /// A fixed number.
    case constant(Double)
    /// Slot `k` of the circuit's trainable parameter vector, shared by every batch item.
    case trainable(Int)
    /// Feature `k` of each batch item's input vector (a per-sample value, as in angle embedding).
    case input(Int)

    public var description: String {
        switch self {
        case .constant(let v): return formatAngle(v)
        case .trainable(let k): return "θ\(k)"
        case .input(let k): return "x\(k)"
        }
    }
}

/// One gate application: a ``Gate`` on target `wires`, active only where every `controls` wire is 1,
/// optionally as its adjoint U†.
///
/// The controlled matrix is |1…1⟩⟨1…1| ⊗ U + (I − |1…1⟩⟨1…1|) ⊗ I, so CNOT is `.pauliX` with one
/// control, Toffoli is `.pauliX` with two, and CRot is `.rot` with one.
public struct QuantumOperation: Equatable, Sendable {
    /// The gate applied to the targets.
    public var gate: Gate
    /// Target wires, most significant first.
    public var wires: [Int]
    /// Control wires (all must be |1⟩).
    public var controls: [Int]
    /// One entry per gate parameter.
    public var parameters: [Parameter]
    /// When true, the operation applies U† instead of U.
    public var isAdjoint: Bool

    /// An operation; validated when appended to a ``Circuit``.
    public init(_ gate: Gate, wires: [Int], controls: [Int] = [], parameters: [Parameter] = [], adjoint: Bool = false) {
        self.gate = gate
        self.wires = wires
        self.controls = controls
        self.parameters = parameters
        self.isAdjoint = adjoint
    }

    /// Every wire the operation touches: controls, then targets.
    public var allWires: [Int] { controls + wires }

    /// The target matrix (U or U†) for resolved parameter values.
    public func matrix(_ values: [Double]) -> ComplexMatrix {
        isAdjoint ? gate.matrix(values).adjoint : gate.matrix(values)
    }

    /// ∂(target matrix)/∂θ_k for each parameter k; for the adjoint, (∂U/∂θ_k)†.
    public func derivatives(_ values: [Double]) -> [ComplexMatrix] {
        isAdjoint ? gate.derivatives(values).map(\.adjoint) : gate.derivatives(values)
    }

    /// The target matrix of a one-wire operation (U or U†).
    func oneWire(_ p: GateAngles) -> Matrix2 { isAdjoint ? gate.oneWire(p).adjoint : gate.oneWire(p) }

    /// ∂(target matrix)/∂θ_k of a one-wire operation.
    func oneWireDerivative(_ k: Int, _ p: GateAngles) -> Matrix2 {
        isAdjoint ? gate.oneWireDerivative(k, p).adjoint : gate.oneWireDerivative(k, p)
    }

    /// The diagram label, e.g. `RY(0.50)` or `U3(θ0,x1,0.00)†`.
    public var label: String {
        var s = gate.label
        if !parameters.isEmpty { s += "(" + parameters.map(\.description).joined(separator: ",") + ")" }
        return isAdjoint && !isSelfInverse ? s + "†" : s
    }

    private var isSelfInverse: Bool {
        switch gate {
        case .identity, .hadamard, .pauliX, .pauliY, .pauliZ, .swap: return true
        default: return false
        }
    }
}

/// Formats an angle with two decimals, as PennyLane's drawer does.
func formatAngle(_ v: Double) -> String {
    let r = (v * 100).rounded() / 100
    var s = "\(r)"
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < 2 { s += String(repeating: "0", count: 2 - decimals) }
    }
    return s
}
