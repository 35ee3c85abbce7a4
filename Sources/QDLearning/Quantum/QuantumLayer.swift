import QDSimulator
import QDTensor

/// The quantum LeNet's quantum layer. It runs on the native simulator, and is also written in
/// differentiable tensor operations so that its gradients can be differentiated again (the
/// distillation meta-gradient passes through it). The paper's layer is the default:
///
///     ψ = pad(h)/‖pad(h)‖ on n qubits (amplitude embedding, wire 0 the most significant bit)
///     ψ ← StronglyEntanglingLayers(θ) ψ: per layer, Rot(φ, θ, ω) = RZ(ω)·RY(θ)·RZ(φ) on every
///         wire, then CNOT(i, (i + r) mod n) for i = 0..<n with r = (l mod (n − 1)) + 1
///     q_i = ⟨ψ| H_i |ψ⟩ with H_i = (A_i + A_i†)/2 on wire i, A_i[a,b] = p[8i + 2(2a+b)] + i·p[8i + 2(2a+b) + 1]
///
/// Options: the embedding (amplitude; angle, RX(h_i) on wire i; dense angle, RY(h_{2i}) then
/// RZ(h_{2i+1}) on wire i) and the readout (trainable Hermitians on groups of k consecutive wires,
/// 2·4^k parameters each; or Pauli Z on every wire, no parameters).
///
/// Complex amplitudes are pairs of real tensors [B, 2^n]. Each Rot is a 2×2 complex matrix on the
/// pair of slices of its wire; each layer's CNOT ring is one permutation (a gather); ⟨H⟩ on a wire
/// group comes from its reduced density matrix ρ: ⟨H⟩ = Re Σ_ab A_ab ρ_ba. Both forms agree to
/// 1e-10 (see the tests).
public struct QuantumLayer: Sendable, Equatable {
    /// How the features enter the circuit.
    public enum Embedding: String, Sendable, CaseIterable {
        /// h/‖h‖ as amplitudes (up to 2^n features, zero-padded).
        case amplitude
        /// RX(h_i) on wire i (up to n features).
        case angle
        /// RY(h_{2i}) then RZ(h_{2i+1}) on wire i (up to 2n features).
        case denseAngle = "dense_angle"
    }

    /// What is measured.
    public enum Readout: Equatable, Sendable {
        /// A Hermitian H = (A + A†)/2 with A complex on each group of `wires` consecutive wires.
        case hermitian(wires: Int)
        /// Pauli Z on every wire.
        case pauliZ
    }

    /// Number of qubits n.
    public let qubits: Int
    /// Number of strongly entangling layers L.
    public let layers: Int
    /// The embedding.
    public let embedding: Embedding
    /// The readout.
    public let readout: Readout
    /// The amplitude maps of the CNOT rings, for ranges r = 1 ..< n (see ``cnotRing(range:qubits:)``).
    let cnotRings: [[Int]]

    /// The qubit counts a layer may have (the amplitude embedding then takes up to 2¹² = 4,096 features).
    public static let qubitRange = 1...12
    /// The layer counts a layer may have.
    public static let layerRange = 1...100

    /// A layer; the readout's wire groups must divide the qubits.
    public init(qubits: Int, layers: Int, embedding: Embedding = .amplitude, readout: Readout = .hermitian(wires: 1)) throws {
        guard Self.qubitRange.contains(qubits), Self.layerRange.contains(layers) else {
            throw TensorError.argument("QuantumLayer: qubits \(qubits) must be in \(Self.qubitRange) and layers \(layers) in \(Self.layerRange)")
        }
        if case .hermitian(let k) = readout, !(1...qubits).contains(k) || qubits % k != 0 {
            throw TensorError.argument("QuantumLayer: a Hermitian readout on groups of \(k) wires must divide the \(qubits) qubits (valid: \((1...qubits).filter { qubits % $0 == 0 }.map(String.init).joined(separator: ", ")))")
        }
        self.qubits = qubits
        self.layers = layers
        self.embedding = embedding
        self.readout = readout
        cnotRings = (1..<max(1, qubits)).map { Self.cnotRing(range: $0, qubits: qubits) }
    }

    /// Batches up to this size run on ``LayerAdjoint``'s straight-line program, four samples per
    /// group of SIMD lanes; larger ones on the native simulator, whose set-up per call (building,
    /// lowering and planning the circuit) pays off over many samples. Both compute the same
    /// values and gradients (to rounding; see the tests).
    public static let laneBatchLimit = 64

    /// Angles read: 3·L·n, PennyLane's weight shape (L, n, 3).
    public var angleCount: Int { 3 * layers * qubits }
    /// The largest number of features the embedding takes.
    public var featureCount: Int {
        switch embedding {
        case .amplitude: return 1 << qubits
        case .angle: return qubits
        case .denseAngle: return 2 * qubits
        }
    }
    /// Number of outputs (observables).
    public var outputCount: Int {
        if case .hermitian(let k) = readout { return qubits / k }
        return qubits
    }
    /// Hermitian parameters read: 2·4^k per observable (0 for Pauli Z).
    public var hermitianCount: Int {
        if case .hermitian(let k) = readout { return outputCount * 2 * (1 << (2 * k)) }
        return 0
    }

    /// The measured observables, in output order.
    var observables: [Observable] {
        switch readout {
        case .pauliZ: return (0..<qubits).map { .z($0) }
        case .hermitian(let k):
            let size = 2 * (1 << (2 * k))
            return (0..<outputCount).map { .trainableHermitian(wires: Array((k * $0)..<(k * $0 + k)), offset: size * $0) }
        }
    }

    /// q [B, outputs] for features h [B, F] (F ≤ ``featureCount``), angles [3Ln] and Hermitian
    /// parameters [``hermitianCount``].
    ///
    /// The forward pass and first-order gradients run in Float64: on the native simulator, or for
    /// batches up to ``laneBatchLimit`` on the same straight-line program the second derivatives
    /// use. Either way the forward run keeps its final states and the gradient's adjoint sweep
    /// starts from them, so the circuit runs once. When the backward pass itself records a graph
    /// (`createGraph: true`, as the distillation meta-gradient does), the gradient is recorded as
    /// one operation of (h, angles, hermitian, g) whose own backward runs the adjoint sweep in dual
    /// numbers (forward over reverse, see ``LayerAdjoint``), so it can be differentiated again.
    public func callAsFunction<S: TensorScalar>(_ h: Tensor<S>, angles: Tensor<S>, hermitian: Tensor<S>) throws -> Tensor<S> {
        try checkShapes(h, angles, hermitian)
        let (b, f) = (h.shape[0], h.shape[1])
        let x = h.values.map(Double.init), theta = angles.values.map(Double.init), p = hermitian.values.map(Double.init)
        let run = b <= Self.laneBatchLimit ? try onLanes(x, features: f, theta, p) : try onSimulator(x, features: f, theta, p)
        ExecutionCost.record(forward: b)
        let value = try Tensor<S>(shape: [b, outputCount], values: run.outputs.map { S($0) })
        return value.recorded(from: [h, angles, hermitian]) { g in
            let grads = try run.vectorJacobianProduct(g.values.map(Double.init))
            ExecutionCost.record(adjoint: b)
            let first = [try Tensor<S>(shape: h.shape, values: grads.features.map { S($0) }),
                         try Tensor<S>(shape: angles.shape, values: grads.angles.map { S($0) }),
                         try Tensor<S>(shape: hermitian.shape, values: grads.hermitian.map { S($0) })]
            return Autograd.isRecording ? try self.recordedGradient(first, h, angles, hermitian, upstream: g) : first
        }
    }

    /// A forward run's outputs [B·O] and the vector-Jacobian product that goes with it: the
    /// gradients of Σ g ⊙ outputs for upstream weights g [B·O].
    private struct FirstOrderRun {
        let outputs: [Double]
        let vectorJacobianProduct: ([Double]) throws -> (features: [Double], angles: [Double], hermitian: [Double])
    }

    /// The first-order run on the native simulator, for features x [B·F]: the forward run keeps
    /// its final states, and the gradients come from an adjoint sweep that starts from them.
    private func onSimulator(_ x: [Double], features f: Int, _ theta: [Double], _ p: [Double]) throws -> FirstOrderRun {
        let circuit = try self.circuit(features: f)
        let observables = self.observables
        let inputs = try Inputs(batch: x.count / f, features: f, values: x)
        let simulator = Simulator(threads: TensorThreads.count)
        let (q, final) = try simulator.expectationsAndFinalState(circuit, observables: observables, trainable: theta, observableParameters: p,
                                                                  inputs: inputs)
        return FirstOrderRun(outputs: q.values) { g in
            let (_, grads) = try simulator.vectorJacobianProduct(circuit, observables: observables, trainable: theta, observableParameters: p,
                                                                 inputs: inputs, finalState: final, upstream: g)
            return (grads.inputs, grads.trainable, grads.observable)
        }
    }

    /// The first-order run on ``LayerAdjoint``'s program in plain values, for features x [B·F]:
    /// the forward pass now, keeping its final states, and the readout and adjoint sweep from them
    /// for the gradients.
    private func onLanes(_ x: [Double], features f: Int, _ theta: [Double], _ p: [Double]) throws -> FirstOrderRun {
        try checkLaneInputs(x, features: f, theta, p)
        func constants(_ v: [Double]) -> LayerAdjoint.DualArray { LayerAdjoint.DualArray(values: v, tangents: [Double](repeating: 0, count: v.count)) }
        let (features, angles, hermitian) = (constants(x), constants(theta), constants(p))
        let program = LayerAdjoint(self, features: f)
        let kept = LayerAdjoint.KeptStates<ValueLanes>(program, batch: x.count / f)
        let q = program.run(ValueLanes.self, features: features, angles: angles, hermitian: hermitian, upstream: nil, kept: kept).outputs.values
        return FirstOrderRun(outputs: q) { g in
            if let bad = g.firstIndex(where: { !$0.isFinite }) {
                throw TensorError.argument("QuantumLayer: upstream gradient entry \(bad) is \(g[bad]); it must be finite")
            }
            let r = program.run(ValueLanes.self, features: features, angles: angles, hermitian: hermitian, upstream: g, kept: kept)
            return (r.features.values, r.angles.values, r.hermitian.values)
        }
    }

    /// The gradient (∂h, ∂angles, ∂hermitian) = Jᵀg, recorded as one operation of
    /// (h, angles, hermitian, g). Its backward rule, for cotangents u of the three gradients, is
    ///
    ///     ∂/∂(h, angles, hermitian) = (Σ_j g_j ∇²q_j)·u,   ∂/∂g = J·u
    ///
    /// both from one adjoint sweep in dual numbers with tangent u. Differentiated once more
    /// (third order), it falls back to the tensor form.
    private func recordedGradient<S>(_ first: [Tensor<S>], _ h: Tensor<S>, _ angles: Tensor<S>, _ hermitian: Tensor<S>,
                                     upstream g: Tensor<S>) throws -> [Tensor<S>] {
        let inputs = [h, angles, hermitian]
        let flat = try Tensor.concatenated(first.map { try $0.reshaped([-1]) }, axis: 0)
        let recorded = flat.recorded(from: inputs + [g]) { u in
            if Autograd.isRecording {
                let exact = try self.differentiable(h, angles: angles, hermitian: hermitian)
                let grads = try Autograd.gradients(of: exact, wrt: inputs, seed: g, createGraph: true, stopAtInputs: true)
                let gradient = try Tensor.concatenated(grads.map { try $0.reshaped([-1]) }, axis: 0)
                return try Autograd.gradients(of: gradient, wrt: inputs + [g], seed: u, createGraph: true, stopAtInputs: true)
            }
            return try self.forwardOverReverse(h, angles, hermitian, upstream: g, direction: u)
        }
        var offset = 0
        return try inputs.map { x in
            defer { offset += x.count }
            return try recorded.sliced(axis: 0, offset..<(offset + x.count)).reshaped(x.shape)
        }
    }

    /// The Hessian-vector products (Σ_j g_j ∇²q_j)·u for h, angles and hermitian, and J·u for g,
    /// where u is the flat direction [h, angles, hermitian].
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    private func forwardOverReverse<S>(_ h: Tensor<S>, _ angles: Tensor<S>, _ hermitian: Tensor<S>, upstream g: Tensor<S>,
                                       direction u: Tensor<S>) throws -> [Tensor<S>] {
        let direction = u.values.map(Double.init)
        var offset = 0
        func dual(_ x: Tensor<S>) -> LayerAdjoint.DualArray {
            defer { offset += x.count }
            return LayerAdjoint.DualArray(values: x.values.map(Double.init), tangents: Array(direction[offset..<(offset + x.count)]))
        }
        let (dh, da, dp) = (dual(h), dual(angles), dual(hermitian))
        let result = LayerAdjoint(self, features: h.shape[1]).run(DualLanes.self, features: dh, angles: da, hermitian: dp,
                                                                  upstream: g.values.map(Double.init))
        func tangents(_ x: LayerAdjoint.DualArray, _ shape: [Int]) throws -> Tensor<S> {
            try Tensor<S>(shape: shape, values: x.tangents.map { S($0) })
        }
        return [try tangents(result.features, h.shape), try tangents(result.angles, angles.shape),
                try tangents(result.hermitian, hermitian.shape), try tangents(result.outputs, g.shape)]
    }

    /// The simulator's checks on a run's numbers, made for the lane program: finite features x
    /// [B·F], angles and Hermitian parameters, and amplitude-embedded samples of nonzero norm.
    private func checkLaneInputs(_ x: [Double], features f: Int, _ theta: [Double], _ p: [Double]) throws {
        if let bad = x.firstIndex(where: { !$0.isFinite }) {
            throw TensorError.argument("QuantumLayer: sample \(bad / f), feature \(bad % f) is \(x[bad]); inputs must be finite")
        }
        for (name, values) in [("angle", theta), ("Hermitian parameter", p)] {
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw TensorError.argument("QuantumLayer: \(name) \(bad) is \(values[bad]); parameters must be finite")
            }
        }
        guard embedding == .amplitude else { return }
        for item in 0..<(x.count / f) {
            let norm = x[(item * f)..<((item + 1) * f)].reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0, norm.isFinite else {
                throw TensorError.argument("QuantumLayer: amplitude embedding: sample \(item) has norm \(norm); it must be a nonzero finite vector")
            }
        }
    }

    /// The circuit: the embedding of `features` features, then the entangling layers.
    func circuit(features: Int) throws -> Circuit {
        var c = try Circuit(qubits: qubits)
        switch embedding {
        case .amplitude: try c.amplitudeEmbedding(features: 0..<features, wires: Array(0..<qubits))
        case .angle: try c.angleEmbedding(features: 0..<features, wires: Array(0..<features), rotation: .rx)
        case .denseAngle:
            for j in 0..<features { try c.apply(j % 2 == 0 ? .ry : .rz, [j / 2], parameters: [.input(j)]) }
        }
        try c.stronglyEntanglingLayers(layers: layers, wires: Array(0..<qubits))
        return c
    }

    private func checkShapes<S>(_ h: Tensor<S>, _ angles: Tensor<S>, _ hermitian: Tensor<S>) throws {
        guard h.rank == 2, h.shape[1] >= 1, h.shape[1] <= featureCount else {
            throw TensorError.shape("QuantumLayer: features must be [B, F] with 1 ≤ F ≤ \(embedding == .amplitude ? "2^\(qubits) = " : "")\(featureCount) (\(embedding.rawValue) embedding); got \(h.shape)")
        }
        guard angles.shape == [angleCount], hermitian.shape == [hermitianCount] else {
            throw TensorError.shape("QuantumLayer: needs angles [\(angleCount)] and Hermitian parameters [\(hermitianCount)]; got \(angles.shape) and \(hermitian.shape)")
        }
    }

    /// The same layer as differentiable tensor operations: exact derivatives of every order.
    public func differentiable<S: TensorScalar>(_ h: Tensor<S>, angles: Tensor<S>, hermitian: Tensor<S>) throws -> Tensor<S> {
        try checkShapes(h, angles, hermitian)
        let n = qubits
        var (re, im) = try embed(h)
        for l in 0..<layers {
            for w in 0..<n {
                let k = 3 * (l * n + w)
                let u = try rotMatrix(phi: angles.sliced(axis: 0, k..<(k + 1)), theta: angles.sliced(axis: 0, (k + 1)..<(k + 2)),
                                      omega: angles.sliced(axis: 0, (k + 2)..<(k + 3)))
                (re, im) = try applyOneWire(u, wire: w, re, im)
            }
            if n > 1 {
                let perm = cnotRings[l % (n - 1)]
                re = try re.gathered(axis: 1, indices: perm)
                im = try im.gathered(axis: 1, indices: perm)
            }
        }
        let outputs: [Tensor<S>]
        switch readout {
        case .pauliZ:
            outputs = try (0..<n).map { w in try pauliZ(wire: w, re, im) }
        case .hermitian(let k):
            let size = 2 * (1 << (2 * k))
            outputs = try (0..<outputCount).map { g in
                try expectation(wires: (k * g)..<(k * g + k), re, im, hermitian.sliced(axis: 0, (size * g)..<(size * g + size)))
            }
        }
        return try Tensor.concatenated(outputs, axis: 1)
    }

    /// The embedded state (re, im) [B, 2^n] of features h.
    private func embed<S>(_ h: Tensor<S>) throws -> (Tensor<S>, Tensor<S>) {
        let n = qubits, dim = 1 << n, b = h.shape[0]
        switch embedding {
        case .amplitude:
            return (try h.padded(axis: 1, before: 0, after: dim - h.shape[1]).l2Normalized(axis: 1), Tensor<S>.zeros([b, dim]))
        case .angle, .denseAngle:
            var ground = [S](repeating: 0, count: b * dim)
            for item in 0..<b { ground[item * dim] = 1 }
            var re = try Tensor<S>(shape: [b, dim], values: ground), im = Tensor<S>.zeros([b, dim])
            for j in 0..<h.shape[1] {
                let half = try h.sliced(axis: 1, j..<(j + 1)).reshaped([b, 1, 1, 1]) * 0.5
                let c = half.cos(), s = half.sin(), zero = Tensor<S>.zeros([b, 1, 1, 1])
                let u: [(Tensor<S>, Tensor<S>)]
                if embedding == .angle {
                    u = [(c, zero), (zero, s.negated()), (zero, s.negated()), (c, zero)]               // RX
                } else if j % 2 == 0 {
                    u = [(c, zero), (s.negated(), zero), (s, zero), (c, zero)]                         // RY
                } else {
                    u = [(c, s.negated()), (zero, zero), (zero, zero), (c, s)]                         // RZ
                }
                (re, im) = try applyOneWire(u, wire: embedding == .angle ? j : j / 2, re, im)
            }
            return (re, im)
        }
    }

    /// Rot(φ, θ, ω) as (real, imaginary) scalar tensors, row-major:
    /// [[e^{−ia}c, −e^{ib}s], [e^{−ib}s, e^{ia}c]] with a = (φ+ω)/2, b = (φ−ω)/2, c = cos θ/2, s = sin θ/2.
    private func rotMatrix<S>(phi: Tensor<S>, theta: Tensor<S>, omega: Tensor<S>) throws -> [(Tensor<S>, Tensor<S>)] {
        let a = try (phi + omega) * 0.5, bb = try (phi - omega) * 0.5
        let c = (theta * 0.5).cos(), s = (theta * 0.5).sin()
        let (ca, sa, cb, sb) = (a.cos(), a.sin(), bb.cos(), bb.sin())
        return [(try ca * c, try (sa * c).negated()), (try (cb * s).negated(), try (sb * s).negated()),
                (try cb * s, try (sb * s).negated()), (try ca * c, try sa * c)]
    }

    /// (ψ₀, ψ₁) ← U·(ψ₀, ψ₁) on the two halves of `wire`.
    private func applyOneWire<S>(_ u: [(Tensor<S>, Tensor<S>)], wire: Int, _ re: Tensor<S>, _ im: Tensor<S>) throws -> (Tensor<S>, Tensor<S>) {
        let shape = [re.shape[0], 1 << wire, 2, 1 << (qubits - 1 - wire)]
        let r = try re.reshaped(shape), i = try im.reshaped(shape)
        let (r0, r1) = (try r.sliced(axis: 2, 0..<1), try r.sliced(axis: 2, 1..<2))
        let (i0, i1) = (try i.sliced(axis: 2, 0..<1), try i.sliced(axis: 2, 1..<2))
        // (x + iy)(a + ib) = (xa − yb) + i(xb + ya), summed over the two inputs of each row
        func row(_ p: (Tensor<S>, Tensor<S>), _ q: (Tensor<S>, Tensor<S>)) throws -> (Tensor<S>, Tensor<S>) {
            let real = try ((p.0 * r0) - (p.1 * i0)) + ((q.0 * r1) - (q.1 * i1))
            let imag = try ((p.0 * i0) + (p.1 * r0)) + ((q.0 * i1) + (q.1 * r1))
            return (real, imag)
        }
        let (n0r, n0i) = try row(u[0], u[1]), (n1r, n1i) = try row(u[2], u[3])
        return (try Tensor.concatenated([n0r, n1r], axis: 2).reshaped(re.shape),
                try Tensor.concatenated([n0i, n1i], axis: 2).reshaped(im.shape))
    }

    /// The amplitude map of CNOT(i, (i + r) mod n) for i = 0..<n applied in order on n qubits: the
    /// new state is old[perm[a]].
    static func cnotRing(range r: Int, qubits n: Int) -> [Int] {
        func flip(_ a: Int, control: Int, target: Int) -> Int {
            a & (1 << (n - 1 - control)) != 0 ? a ^ (1 << (n - 1 - target)) : a
        }
        return (0..<(1 << n)).map { a in
            // ψ_k = ψ_{k−1}∘π_k, so old index = π_1(π_2(⋯π_n(a)))
            var x = a
            for i in stride(from: n - 1, through: 0, by: -1) { x = flip(x, control: i, target: (i + r) % n) }
            return x
        }
    }

    /// ⟨Z⟩ on `wire`, as [B, 1].
    private func pauliZ<S>(wire: Int, _ re: Tensor<S>, _ im: Tensor<S>) throws -> Tensor<S> {
        let shape = [re.shape[0], 1 << wire, 2, 1 << (qubits - 1 - wire)]
        let p = try (re.squared() + im.squared()).reshaped(shape)
        let diff = try p.sliced(axis: 2, 0..<1) - p.sliced(axis: 2, 1..<2)
        return try diff.sum(axes: [1, 2, 3]).reshaped([re.shape[0], 1])
    }

    /// ⟨H⟩ = Re Σ_ab A_ab ρ_ba on the consecutive `wires` (d = 2^k), for the 2d² parameters `p`
    /// of A (A_ab = p[2(ad+b)] + i·p[2(ad+b)+1]), as [B, 1]. With ρ_ba = Σ ψ_b ψ_a*, a diagonal
    /// term is p_aa·ρ_aa and a pair a < b gives (p_ab + p_ba)·Re ρ_ba + (p'_ba − p'_ab)·Im ρ_ba,
    /// where p' are the imaginary parts.
    private func expectation<S>(wires: Range<Int>, _ re: Tensor<S>, _ im: Tensor<S>, _ p: Tensor<S>) throws -> Tensor<S> {
        let k = wires.count, d = 1 << k, batch = re.shape[0]
        let shape = [batch, 1 << wires.lowerBound, d, 1 << (qubits - wires.upperBound)]
        let r = try re.reshaped(shape), i = try im.reshaped(shape)
        let rs = try (0..<d).map { try r.sliced(axis: 2, $0..<($0 + 1)) }, ims = try (0..<d).map { try i.sliced(axis: 2, $0..<($0 + 1)) }
        func total(_ t: Tensor<S>) throws -> Tensor<S> { try t.sum(axes: [1, 2, 3]).reshaped([batch, 1]) }
        let q = { (k: Int) in try p.sliced(axis: 0, k..<(k + 1)) }
        var terms: [Tensor<S>] = []
        for a in 0..<d {
            terms.append(try total(rs[a].squared() + ims[a].squared()) * q(2 * (a * d + a)))
            for b in (a + 1)..<max(a + 1, d) {
                let rhoRe = try total((rs[b] * rs[a]) + (ims[b] * ims[a]))
                let rhoIm = try total((ims[b] * rs[a]) - (rs[b] * ims[a]))
                terms.append(try rhoRe * (q(2 * (a * d + b)) + q(2 * (b * d + a))))
                terms.append(try rhoIm * (q(2 * (b * d + a) + 1) - q(2 * (a * d + b) + 1)))
            }
        }
        return try terms.dropFirst().reduce(terms[0]) { try $0 + $1 }
    }
}
