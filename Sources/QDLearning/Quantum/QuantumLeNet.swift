import QDTensor

/// The paper's quantum LeNet (Phalak, Li and Ghosh, after their reference code):
///
///     h = FC 120→64(ReLU(FC 400→120(LeNet convolution stack(x))))        no activation on h
///     q = QuantumLayer(h; θ, A)                                           6 qubits, 3 layers
///     y = fc_final(α·fc3(q) + (1 − α)·ReLU(fc_res(h)))                    fc3 6→10, fc_res 64→10
///
/// with α trainable (0.5 at the start). Angles θ start Xavier-normal (PennyLane's (L, n, 3) shape),
/// the Hermitian parameters A ~ N(0, 1), the rest Xavier-normal with zero biases. For MNIST it
/// has 59,369 parameters.
public struct QuantumLeNet: Model {
    public let input: LeNet.Input
    public let quantum: QuantumLayer
    public let layout: ParameterLayout
    public let classes = 10

    public init(input: LeNet.Input = .mnist, qubits: Int = 6, layers: Int = 3) throws {
        self.input = input
        quantum = try QuantumLayer(qubits: qubits, layers: layers)
        let features = 1 << qubits
        var l = ParameterLayout()
        LeNet.addConvolutionStack(&l, input: input)
        l.add("fc1.weight", [120, 400]); l.add("fc1.bias", [120])
        l.add("fc2.weight", [features, 120]); l.add("fc2.bias", [features])
        l.add("quantum.angles", [layers, qubits, 3])
        l.add("quantum.hermitian", [qubits, 8])
        l.add("fc3.weight", [10, qubits]); l.add("fc3.bias", [10])
        l.add("fc_res.weight", [10, features]); l.add("fc_res.bias", [10])
        l.add("fc_final.weight", [10, 10]); l.add("fc_final.bias", [10])
        l.add("alpha", [1])
        layout = l
    }

    public var inputShape: [Int] { input == .mnist ? [1, 28, 28] : [3, 32, 32] }

    public func initialParameters<S: TensorScalar>(seed: UInt64) -> Tensor<S> {
        let hermitianCount = layout.entry("quantum.hermitian")!.count
        return Initialization.xavierNormal(layout, seed: seed, custom: [
            "quantum.hermitian": { rng in (0..<hermitianCount).map { _ in rng.normal() } },
            "alpha": { _ in [0.5] },
        ])
    }

    public func forward<S: TensorScalar>(_ x: Tensor<S>, parameters p: Tensor<S>) throws -> Tensor<S> {
        try checkInput(x)
        let v = { (name: String) in try self.layout.view(name, in: p) }
        let f = try LeNet.convolutionStack(x, layout: layout, parameters: p, input: input)
        let h = try f.linear(v("fc1.weight"), v("fc1.bias")).relu().linear(v("fc2.weight"), v("fc2.bias"))
        let q = try quantum(h, angles: v("quantum.angles").reshaped([-1]), hermitian: v("quantum.hermitian").reshaped([-1]))
        let alpha = try v("alpha")
        let quantumPath = try q.linear(v("fc3.weight"), v("fc3.bias"))
        let residual = try h.linear(v("fc_res.weight"), v("fc_res.bias")).relu()
        let mixed = try (quantumPath * alpha) + (residual * (alpha.negated() + 1))
        return try mixed.linear(v("fc_final.weight"), v("fc_final.bias"))
    }
}
