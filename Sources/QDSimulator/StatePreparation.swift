/// How the initial state of each batch item is made from its input vector. It is applied to
/// |0…0⟩ before the circuit's operations, so there is at most one per circuit.
public enum StatePreparation: Equatable, Sendable {
    /// Amplitude embedding of features `features` on `wires`: the vector is padded with `pad` up to
    /// 2^|wires| entries and divided by its L2 norm, ψ = v/‖v‖. Other wires stay |0⟩.
    case amplitude(features: Range<Int>, wires: [Int], pad: Double)
    /// Basis embedding: feature `features.lowerBound + j` (0 or 1) sets wire `wires[j]`.
    case basis(features: Range<Int>, wires: [Int])

    /// The wires it writes.
    public var wires: [Int] {
        switch self {
        case .amplitude(_, let w, _), .basis(_, let w): return w
        }
    }

    /// The input features it reads.
    public var features: Range<Int> {
        switch self {
        case .amplitude(let f, _, _), .basis(let f, _): return f
        }
    }

    /// Its diagram label.
    public var label: String {
        switch self {
        case .amplitude: return "|Ψ⟩"
        case .basis: return "|b⟩"
        }
    }
}
