import QDTensor

/// AlexCifarNet as in Wang et al.'s code, the classical CIFAR-10 anchor:
/// conv 64@5×5 (pad 2) → ReLU → maxpool 3/2 (pad 1) → LRN → conv 64@5×5 (pad 2) → ReLU → LRN →
/// maxpool 3/2 (pad 1) → 4096 → FC 384 → ReLU → FC 192 → ReLU → FC 10, with
/// LRN(size 4, α = 0.001/9, β = 0.75, k = 1). Input 3×32×32; 1,756,426 parameters.
public struct AlexCifarNet: Model {
    /// Where each weight block sits in the flat parameter vector.
    public let layout: ParameterLayout
    /// Number of output classes.
    public let classes = 10
    /// One input image: 3×32×32 (CIFAR-10).
    public let inputShape = [3, 32, 32]

    /// The network's parameter layout (its weights come from ``initialParameters(seed:)``).
    public init() {
        var l = ParameterLayout()
        l.add("conv1.weight", [64, 3, 5, 5]); l.add("conv1.bias", [64])
        l.add("conv2.weight", [64, 64, 5, 5]); l.add("conv2.bias", [64])
        l.add("fc1.weight", [384, 4096]); l.add("fc1.bias", [384])
        l.add("fc2.weight", [192, 384]); l.add("fc2.bias", [192])
        l.add("fc3.weight", [10, 192]); l.add("fc3.bias", [10])
        layout = l
    }

    /// Logits [B, 10] for images [B] + inputShape, reading every weight from `p`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func forward<S: TensorScalar>(_ x: Tensor<S>, parameters p: Tensor<S>) throws -> Tensor<S> {
        try checkInput(x)
        let v = { (name: String) in try self.layout.view(name, in: p) }
        let alpha = S(0.001 / 9)
        // pooling before the first ReLU: the two commute (see LeNet), and the ReLU then sees a quarter of the values
        let h1 = try x.conv2d(v("conv1.weight"), bias: v("conv1.bias"), padding: 2)
            .maxPool2d(kernel: 3, stride: 2, padding: 1, rectified: true).localResponseNormalized(size: 4, alpha: alpha, beta: 0.75, k: 1)
        let h2 = try h1.conv2d(v("conv2.weight"), bias: v("conv2.bias"), padding: 2).relu()
            .localResponseNormalized(size: 4, alpha: alpha, beta: 0.75, k: 1).maxPool2d(kernel: 3, stride: 2, padding: 1)
        let f = try h2.reshaped([x.shape[0], 4096])
        let f1 = try f.linear(v("fc1.weight"), v("fc1.bias")).relu()
        let f2 = try f1.linear(v("fc2.weight"), v("fc2.bias")).relu()
        return try f2.linear(v("fc3.weight"), v("fc3.bias"))
    }
}
