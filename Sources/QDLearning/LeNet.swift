import QDTensor

/// LeNet as in Wang et al.'s dataset-distillation code:
/// conv 6@5×5 → ReLU → maxpool 2 → conv 16@5×5 → ReLU → maxpool 2 → 400 → FC 120 → ReLU →
/// FC 84 → ReLU → FC 10. MNIST input 1×28×28 with padding 2 on the first convolution (61,706
/// parameters); CIFAR-10 input 3×32×32 without it.
public struct LeNet: Model {
    /// Which dataset's images the network takes.
    public enum Input: Sendable { case mnist, cifar10 }

    /// MNIST or CIFAR-10 inputs.
    public let input: Input
    /// Where each weight block sits in the flat parameter vector.
    public let layout: ParameterLayout
    /// Number of output classes.
    public let classes = 10

    /// LeNet for MNIST (1×28×28, padding 2 on the first convolution) or CIFAR-10 (3×32×32) inputs.
    public init(input: Input = .mnist) {
        self.input = input
        var l = ParameterLayout()
        LeNet.addConvolutionStack(&l, input: input)
        l.add("fc1.weight", [120, 400]); l.add("fc1.bias", [120])
        l.add("fc2.weight", [84, 120]); l.add("fc2.bias", [84])
        l.add("fc3.weight", [10, 84]); l.add("fc3.bias", [10])
        layout = l
    }

    /// One input image: 1×28×28 for MNIST, 3×32×32 for CIFAR-10.
    public var inputShape: [Int] { input == .mnist ? [1, 28, 28] : [3, 32, 32] }

    /// The 400 features after the second pooling, [B, 400].
    public func features<S: TensorScalar>(_ x: Tensor<S>, parameters p: Tensor<S>) throws -> Tensor<S> {
        try checkInput(x)
        return try LeNet.convolutionStack(x, layout: layout, parameters: p, input: input)
    }

    /// Adds the convolution blocks of LeNet (conv1, conv2 and their biases) to `layout`.
    static func addConvolutionStack(_ layout: inout ParameterLayout, input: Input) {
        layout.add("conv1.weight", [6, input == .mnist ? 1 : 3, 5, 5]); layout.add("conv1.bias", [6])
        layout.add("conv2.weight", [16, 6, 5, 5]); layout.add("conv2.bias", [16])
    }

    /// conv 6@5×5 → ReLU → maxpool 2 → conv 16@5×5 → ReLU → maxpool 2 → flatten to [B, 400].
    ///
    /// Each ReLU runs after its pooling: ReLU is monotone, so max(ReLU(x)) = ReLU(max(x)), and the
    /// gradients agree too (where the maximum is positive both route it to the same element,
    /// elsewhere both are zero). The ReLU and its mask then touch a quarter of the values. The
    /// first layer is one ``Tensor/conv2dMaxPooled(_:bias:stride:padding:rectified:)``, whose
    /// weight gradient (on MNIST's one-channel input) reads only the windows that route one.
    static func convolutionStack<S: TensorScalar>(_ x: Tensor<S>, layout: ParameterLayout, parameters p: Tensor<S>, input: Input) throws -> Tensor<S> {
        let v = { (name: String) in try layout.view(name, in: p) }
        let h1 = try x.conv2dMaxPooled(v("conv1.weight"), bias: v("conv1.bias"), padding: input == .mnist ? 2 : 0, rectified: true)
        let h2 = try h1.conv2d(v("conv2.weight"), bias: v("conv2.bias")).maxPool2d(kernel: 2, rectified: true)
        return try h2.reshaped([x.shape[0], 400])
    }

    /// Logits [B, 10] for images [B] + inputShape, reading every weight from `p`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func forward<S: TensorScalar>(_ x: Tensor<S>, parameters p: Tensor<S>) throws -> Tensor<S> {
        let v = { (name: String) in try self.layout.view(name, in: p) }
        let h = try features(x, parameters: p)
        let f1 = try h.linear(v("fc1.weight"), v("fc1.bias")).relu()
        let f2 = try f1.linear(v("fc2.weight"), v("fc2.bias")).relu()
        return try f2.linear(v("fc3.weight"), v("fc3.bias"))
    }
}
