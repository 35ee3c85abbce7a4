/// Per-item input vectors for a batch: B rows of F features, row-major. They feed the circuit's
/// state preparation and its `.input(k)` parameter slots.
public struct Inputs: Equatable, Sendable {
    /// Number of batch items B.
    public let batch: Int
    /// Features per item F.
    public let features: Int
    /// B·F values, item-major.
    public let values: [Double]

    /// A batch from a flat row-major array; throws unless `values.count == batch·features`.
    public init(batch: Int, features: Int, values: [Double]) throws {
        let count = batch.multipliedReportingOverflow(by: features)
        guard batch >= 1, features >= 0, !count.overflow, values.count == count.partialValue else {
            throw SimulatorError.invalidInput("inputs: \(values.count) values do not form \(batch) item(s) × \(features) feature(s); batch must be ≥ 1")
        }
        self.batch = batch
        self.features = features
        self.values = values
    }

    /// A batch from rows, which must all have the same length.
    public init(rows: [[Double]]) throws {
        let f = rows.first?.count ?? 0
        guard rows.allSatisfy({ $0.count == f }) else {
            throw SimulatorError.invalidInput("inputs: every item needs \(f) features; got rows of lengths \(rows.map(\.count))")
        }
        try self.init(batch: rows.count, features: f, values: rows.flatMap { $0 })
    }

    /// `batch` items with no features, for circuits without inputs.
    public static func empty(batch: Int = 1) -> Inputs { Inputs(emptyBatch: max(batch, 1)) }

    private init(emptyBatch: Int) { batch = emptyBatch; features = 0; values = [] }

    /// Row `b`.
    public func row(_ b: Int) -> ArraySlice<Double> { values[(b * features)..<((b + 1) * features)] }
}

/// Expectation values, one row of O outputs per batch item.
public struct Expectations: Equatable, Sendable {
    /// Number of batch items B.
    public let batch: Int
    /// Number of observables O.
    public let outputs: Int
    /// B·O values: ⟨O_o⟩ of item b at `b·O + o`.
    public let values: [Double]

    /// ⟨O_output⟩ of `item`.
    public subscript(item: Int, output: Int) -> Double { values[item * outputs + output] }
}

/// The vector-Jacobian product of a batch of expectations: given g = ∂L/∂E (B × O), the
/// gradient of L with respect to everything the expectations depend on.
public struct Gradients: Sendable {
    /// ∂L/∂θ for the circuit's trainable slots.
    public let trainable: [Double]
    /// ∂L/∂p for the observable parameters (trainable Hermitians).
    public let observable: [Double]
    /// ∂L/∂x (B × F, row-major) for the input features, through amplitude embedding and input angles.
    public let inputs: [Double]
    /// ∂L/∂Re ψ₀ and ∂L/∂Im ψ₀ of the initial state, as a batch of "states"; present when the run
    /// started from a given initial state (a circuit that embeds its inputs reports ``inputs`` instead).
    public let state: StateBatch?
}

/// What a vector-Jacobian product differentiates with respect to. Asking for less is cheaper:
/// without `.trainable` (and without per-sample angles) the adjoint sweep carries λ alone and
/// never uncomputes φ. Gradients not asked for come back empty.
public struct DifferentiationTargets: OptionSet, Sendable {
    /// The set's bits.
    public let rawValue: Int
    /// The set with bits `rawValue`.
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The circuit's trainable slots.
    public static let trainable = DifferentiationTargets(rawValue: 1)
    /// The observable parameters.
    public static let observable = DifferentiationTargets(rawValue: 2)
    /// The input features (and a given initial state).
    public static let inputs = DifferentiationTargets(rawValue: 4)
    /// Everything.
    public static let all: DifferentiationTargets = [.trainable, .observable, .inputs]
}

/// The upstream gradient g = ∂L/∂E of a vector-Jacobian product.
public enum Upstream: Sendable {
    /// Fixed values, B × O row-major.
    case values([Double])
    /// A function of each item's expectations (item index, its O outputs) returning its O
    /// upstream values; it lets a loss that is a sum over items (cross-entropy, MSE) run its
    /// forward pass and its adjoint sweep in a single call.
    case perItem(@Sendable (Int, ArraySlice<Double>) -> [Double])
}
