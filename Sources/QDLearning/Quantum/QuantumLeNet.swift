import QDTensor

/// The paper's quantum LeNet (Phalak, Li and Ghosh, after their reference code):
///
///     h = FC 120→F(ReLU(FC 400→120(LeNet convolution stack(x))))         no activation on h
///     q = QuantumLayer(h; θ, A)                                           6 qubits, 3 layers
///     y = fc_final(α·fc3(q) + (1 − α)·ReLU(fc_res(h)))                    fc3 O→10, fc_res F→10
///
/// with α trainable (0.5 at the start; the residual weight 1 − α can be fixed at 0.5 instead, as
/// the reference code computes it), F = 64 features (amplitude embedding) and O = 6 outputs.
/// Angles θ start Xavier-normal (PennyLane's (L, n, 3) shape), the Hermitian parameters A ~ N(0, 1),
/// the rest Xavier-normal with zero biases. For MNIST it has 59,369 parameters.
///
/// ``Options`` select the paper's variants and its stated future work: the readout (trainable
/// Hermitians, the same kept frozen at their initial values, or fixed Pauli Z), Hermitians on
/// groups of wires, the residual path (off: y = fc_final(fc3(q))) and its weight, frozen angles
/// (what the reference code does, as its weight re-injection bypasses PennyLane's layer), the
/// embedding (F = 2^n amplitudes, n angles or 2n dense angles), and the qubit and layer counts.
public struct QuantumLeNet: Model {
    /// The variant.
    public struct Options: Equatable, Sendable {
        /// How the Hermitian readout is treated.
        public enum Hermitian: String, Sendable, CaseIterable {
            /// Trained (the paper's main model).
            case trainable
            /// The initial random Hermitians, kept fixed.
            case frozen
            /// Pauli Z on every wire (no Hermitian parameters).
            case pauliZ = "pauli_z"
        }

        /// Qubits of the quantum layer.
        public var qubits = 6
        /// StronglyEntanglingLayers of the quantum layer.
        public var layers = 3
        /// The readout's treatment.
        public var hermitian = Hermitian.trainable
        /// Wires per Hermitian observable (1: one per qubit, as in the paper).
        public var readoutWires = 1
        /// The weight of the residual path.
        public enum ResidualWeight: String, Sendable, CaseIterable {
            /// 1 − α, the paper's formula.
            case oneMinusAlpha = "one_minus_alpha"
            /// 0.5 throughout, what the reference code computes: it sets β = 1 − α once, when the
            /// network is built, and its weight re-injection then moves α but never β.
            case half
        }

        /// Whether the residual path (fc_res and α) is there.
        public var residual = true
        /// The residual path's weight.
        public var residualWeight = ResidualWeight.oneMinusAlpha
        /// Whether the circuit's angles are trained.
        public var trainAngles = true
        /// How h enters the circuit.
        public var embedding = QuantumLayer.Embedding.amplitude

        /// The defaults.
        public init() {}
    }

    /// MNIST or CIFAR-10 inputs.
    public let input: LeNet.Input
    /// The variant.
    public let options: Options
    /// The quantum layer.
    public let quantum: QuantumLayer
    /// Where each weight block sits in the flat parameter vector.
    public let layout: ParameterLayout
    /// Number of output classes.
    public let classes = 10

    /// The reference network (or a variant) for MNIST or CIFAR-10 inputs.
    public init(input: LeNet.Input = .mnist, options: Options = Options()) throws {
        self.input = input
        self.options = options
        quantum = try QuantumLayer(qubits: options.qubits, layers: options.layers, embedding: options.embedding,
                                   readout: options.hermitian == .pauliZ ? .pauliZ : .hermitian(wires: options.readoutWires))
        let features = quantum.featureCount, outputs = quantum.outputCount
        var l = ParameterLayout()
        LeNet.addConvolutionStack(&l, input: input)
        l.add("fc1.weight", [120, 400]); l.add("fc1.bias", [120])
        l.add("fc2.weight", [features, 120]); l.add("fc2.bias", [features])
        l.add("quantum.angles", [options.layers, options.qubits, 3])
        if quantum.hermitianCount > 0 { l.add("quantum.hermitian", [outputs, quantum.hermitianCount / outputs]) }
        l.add("fc3.weight", [10, outputs]); l.add("fc3.bias", [10])
        if options.residual {
            l.add("fc_res.weight", [10, features]); l.add("fc_res.bias", [10])
        }
        l.add("fc_final.weight", [10, 10]); l.add("fc_final.bias", [10])
        if options.residual { l.add("alpha", [1]) }
        layout = l
    }

    /// The reference network with `qubits` and `layers`.
    public init(input: LeNet.Input = .mnist, qubits: Int, layers: Int) throws {
        var o = Options()
        o.qubits = qubits
        o.layers = layers
        try self.init(input: input, options: o)
    }

    /// One input image: 1×28×28 for MNIST, 3×32×32 for CIFAR-10.
    public var inputShape: [Int] { input == .mnist ? [1, 28, 28] : [3, 32, 32] }

    /// Frozen Hermitians and frozen angles keep their initial values through training and distillation.
    public var frozenBlocks: [String] {
        (options.hermitian == .frozen ? ["quantum.hermitian"] : []) + (options.trainAngles ? [] : ["quantum.angles"])
    }

    /// Initial weights from `seed` (see the model's documentation for its initialisation).
    public func initialParameters<S: TensorScalar>(seed: UInt64) -> Tensor<S> {
        var custom: [String: (inout SeededRandom) -> [Double]] = ["alpha": { _ in [0.5] }]
        if let herm = layout.entry("quantum.hermitian") {
            custom["quantum.hermitian"] = { rng in (0..<herm.count).map { _ in rng.normal() } }
        }
        return Initialization.xavierNormal(layout, seed: seed, custom: custom)
    }

    /// Logits [B, 10] for images [B] + inputShape, reading every weight from `p`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public func forward<S: TensorScalar>(_ x: Tensor<S>, parameters p: Tensor<S>) throws -> Tensor<S> {
        try checkInput(x)
        let v = { (name: String) in try self.layout.view(name, in: p) }
        let f = try LeNet.convolutionStack(x, layout: layout, parameters: p, input: input)
        let h = try f.linear(v("fc1.weight"), v("fc1.bias")).relu().linear(v("fc2.weight"), v("fc2.bias"))
        let hermitian = layout.entry("quantum.hermitian") == nil ? Tensor<S>.zeros([0]) : try v("quantum.hermitian").reshaped([-1])
        let q = try quantum(h, angles: v("quantum.angles").reshaped([-1]), hermitian: hermitian)
        let quantumPath = try q.linear(v("fc3.weight"), v("fc3.bias"))
        guard options.residual else { return try quantumPath.linear(v("fc_final.weight"), v("fc_final.bias")) }
        let alpha = try v("alpha")
        let residual = try h.linear(v("fc_res.weight"), v("fc_res.bias")).relu()
        let weighted = options.residualWeight == .half ? residual * 0.5 : try residual * (alpha.negated() + 1)
        let mixed = try (quantumPath * alpha) + weighted
        return try mixed.linear(v("fc_final.weight"), v("fc_final.bias"))
    }
}
