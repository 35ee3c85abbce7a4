import QDTensor

/// A network whose weights are one flat parameter vector (see ``ParameterLayout``).
///
/// `forward` reads every weight as a view of `parameters`, so the same network can run on its
/// initial weights, on trained ones, or on a differentiable tensor produced by unrolled gradient
/// steps (dataset distillation differentiates through those).
public protocol Model: Sendable {
    /// The named parameter blocks and their place in the flat vector.
    var layout: ParameterLayout { get }
    /// The shape of one input item, e.g. [1, 28, 28].
    var inputShape: [Int] { get }
    /// Number of output classes.
    var classes: Int { get }
    /// Logits [B, classes] for inputs [B, inputShape...].
    func forward<S: TensorScalar>(_ x: Tensor<S>, parameters: Tensor<S>) throws -> Tensor<S>
    /// Initial weights, deterministic in `seed` (Xavier normal, gain 1, zero biases, unless the model says otherwise).
    func initialParameters<S: TensorScalar>(seed: UInt64) -> Tensor<S>
    /// Parameter blocks that keep their initial values: training and distillation steps skip them.
    var frozenBlocks: [String] { get }
}

extension Model {
    /// No frozen blocks unless a model says otherwise.
    public var frozenBlocks: [String] { [] }

    /// 1 for trained parameters and 0 for frozen ones, or nil when nothing is frozen.
    public func trainableMask<S: TensorScalar>() -> Tensor<S>? {
        guard !frozenBlocks.isEmpty else { return nil }
        var mask = [S](repeating: 1, count: layout.count)
        for name in frozenBlocks {
            guard let e = layout.entry(name) else { continue }
            for k in e.offset..<(e.offset + e.count) { mask[k] = 0 }
        }
        return Tensor(vector: mask)
    }

    /// `gradient` with the frozen blocks' entries set to zero.
    public func maskingFrozen<S: TensorScalar>(_ gradient: Tensor<S>) throws -> Tensor<S> {
        guard let mask: Tensor<S> = trainableMask() else { return gradient }
        return try gradient * mask
    }

    /// Initial weights from `seed` (see the model's documentation for its initialisation).
    public func initialParameters<S: TensorScalar>(seed: UInt64) -> Tensor<S> {
        Initialization.xavierNormal(layout, seed: seed)
    }

    /// Checks that `x` is a batch of this model's inputs.
    func checkInput<S>(_ x: Tensor<S>) throws {
        guard x.rank == inputShape.count + 1, Array(x.shape.dropFirst()) == inputShape else {
            throw TensorError.shape("\(Self.self) takes inputs [B] + \(inputShape); got \(x.shape)")
        }
    }
}
