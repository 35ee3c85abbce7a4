import QDSimulator
import QDTensor

/// The quantum LeNet's quantum layer. It runs on the native simulator, and is also written in
/// differentiable tensor operations so that its gradients can be differentiated again (the
/// distillation meta-gradient passes through it):
///
///     ψ = pad(h)/‖pad(h)‖ on n qubits (amplitude embedding, wire 0 the most significant bit)
///     ψ ← StronglyEntanglingLayers(θ) ψ: per layer, Rot(φ, θ, ω) = RZ(ω)·RY(θ)·RZ(φ) on every
///         wire, then CNOT(i, (i + r) mod n) for i = 0..<n with r = (l mod (n − 1)) + 1
///     q_i = ⟨ψ| H_i |ψ⟩ with H_i = (A_i + A_i†)/2 on wire i, A_i[a,b] = p[8i + 2(2a+b)] + i·p[8i + 2(2a+b) + 1]
///
/// Complex amplitudes are pairs of real tensors [B, 2^n]. Each Rot is a 2×2 complex matrix on the
/// pair of slices of its wire; each layer's CNOT ring is one permutation (a gather); ⟨H_i⟩ comes
/// from the reduced density matrix ρ of wire i: Re Σ_ab A_ab ρ_ba =
/// p₀ρ₀₀ + p₆ρ₁₁ + (p₂ + p₄)·Re ρ₀₁ + (p₃ − p₅)·Im ρ₀₁. Both forms agree to 1e-10 (see the tests).
public struct QuantumLayer: Sendable, Equatable {
    /// Number of qubits n.
    public let qubits: Int
    /// Number of strongly entangling layers L.
    public let layers: Int

    public init(qubits: Int, layers: Int) throws {
        guard (1...12).contains(qubits), layers >= 1 else {
            throw TensorError.argument("QuantumLayer: qubits \(qubits) must be in 1...12 and layers \(layers) ≥ 1")
        }
        self.qubits = qubits
        self.layers = layers
    }

    /// Angles read: 3·L·n, PennyLane's weight shape (L, n, 3).
    public var angleCount: Int { 3 * layers * qubits }
    /// Hermitian parameters read: 8 per qubit.
    public var hermitianCount: Int { 8 * qubits }

    /// q [B, n] for features h [B, F] (F ≤ 2^n; zero-padded), angles [3Ln] and Hermitian parameters [8n].
    ///
    /// The forward pass and first-order gradients run on the native simulator (one forward run and
    /// one adjoint sweep, in Float64). When the backward pass itself records a graph
    /// (`createGraph: true`, as the distillation meta-gradient does), the gradient is taken through
    /// ``differentiable(_:angles:hermitian:)`` instead, so it can be differentiated again.
    public func callAsFunction<S: TensorScalar>(_ h: Tensor<S>, angles: Tensor<S>, hermitian: Tensor<S>) throws -> Tensor<S> {
        try checkShapes(h, angles, hermitian)
        let (b, f) = (h.shape[0], h.shape[1])
        let circuit = try self.circuit(features: f)
        let observables = (0..<qubits).map { Observable.trainableHermitian(wires: [$0], offset: 8 * $0) }
        let x = try Inputs(batch: b, features: f, values: h.values.map(Double.init))
        let theta = angles.values.map(Double.init), p = hermitian.values.map(Double.init)
        let simulator = Simulator(threads: TensorThreads.count)
        let q = try simulator.expectations(circuit, observables: observables, trainable: theta, observableParameters: p, inputs: x)
        let value = try Tensor<S>(shape: [b, qubits], values: q.values.map { S($0) })
        return value.recorded(from: [h, angles, hermitian]) { g in
            if Autograd.isRecording {
                let exact = try self.differentiable(h, angles: angles, hermitian: hermitian)
                return try Autograd.gradients(of: exact, wrt: [h, angles, hermitian], seed: g, createGraph: true, stopAtInputs: true)
            }
            let (_, grads) = try simulator.vectorJacobianProduct(circuit, observables: observables, trainable: theta, observableParameters: p,
                                                                 inputs: x, upstream: g.values.map(Double.init))
            return [try Tensor<S>(shape: h.shape, values: grads.inputs.map { S($0) }),
                    try Tensor<S>(shape: angles.shape, values: grads.trainable.map { S($0) }),
                    try Tensor<S>(shape: hermitian.shape, values: grads.observable.map { S($0) })]
        }
    }

    /// The circuit: amplitude embedding of `features` features, then the entangling layers.
    private func circuit(features: Int) throws -> Circuit {
        var c = try Circuit(qubits: qubits)
        try c.amplitudeEmbedding(features: 0..<features, wires: Array(0..<qubits))
        try c.stronglyEntanglingLayers(layers: layers, wires: Array(0..<qubits))
        return c
    }

    private func checkShapes<S>(_ h: Tensor<S>, _ angles: Tensor<S>, _ hermitian: Tensor<S>) throws {
        guard h.rank == 2, h.shape[1] >= 1, h.shape[1] <= 1 << qubits else {
            throw TensorError.shape("QuantumLayer: features must be [B, F] with 1 ≤ F ≤ 2^\(qubits) = \(1 << qubits); got \(h.shape)")
        }
        guard angles.shape == [angleCount], hermitian.shape == [hermitianCount] else {
            throw TensorError.shape("QuantumLayer: needs angles [\(angleCount)] and Hermitian parameters [\(hermitianCount)]; got \(angles.shape) and \(hermitian.shape)")
        }
    }

    /// The same layer as differentiable tensor operations: exact derivatives of every order.
    public func differentiable<S: TensorScalar>(_ h: Tensor<S>, angles: Tensor<S>, hermitian: Tensor<S>) throws -> Tensor<S> {
        try checkShapes(h, angles, hermitian)
        let n = qubits, dim = 1 << n
        let b = h.shape[0]
        var re = try h.padded(axis: 1, before: 0, after: dim - h.shape[1]).l2Normalized(axis: 1)
        var im = Tensor<S>.zeros([b, dim])
        for l in 0..<layers {
            for w in 0..<n {
                let k = 3 * (l * n + w)
                let u = try rotMatrix(phi: angles.sliced(axis: 0, k..<(k + 1)), theta: angles.sliced(axis: 0, (k + 1)..<(k + 2)),
                                      omega: angles.sliced(axis: 0, (k + 2)..<(k + 3)))
                (re, im) = try applyOneWire(u, wire: w, re, im)
            }
            if n > 1 {
                let perm = cnotRing(range: (l % (n - 1)) + 1)
                re = try re.gathered(axis: 1, indices: perm)
                im = try im.gathered(axis: 1, indices: perm)
            }
        }
        let outputs = try (0..<n).map { w in try expectation(wire: w, re, im, hermitian.sliced(axis: 0, (8 * w)..<(8 * w + 8))) }
        return try Tensor.concatenated(outputs, axis: 1)
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

    /// The amplitude map of CNOT(i, (i + r) mod n) for i = 0..<n applied in order: the new state
    /// is old[perm[a]].
    func cnotRing(range r: Int) -> [Int] {
        let n = qubits
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

    /// ⟨H⟩ on `wire` for the 8 parameters `p` of A, as [B, 1].
    private func expectation<S>(wire: Int, _ re: Tensor<S>, _ im: Tensor<S>, _ p: Tensor<S>) throws -> Tensor<S> {
        let shape = [re.shape[0], 1 << wire, 2, 1 << (qubits - 1 - wire)]
        let r = try re.reshaped(shape), i = try im.reshaped(shape)
        let (r0, r1) = (try r.sliced(axis: 2, 0..<1), try r.sliced(axis: 2, 1..<2))
        let (i0, i1) = (try i.sliced(axis: 2, 0..<1), try i.sliced(axis: 2, 1..<2))
        func total(_ t: Tensor<S>) throws -> Tensor<S> { try t.sum(axes: [1, 2, 3]).reshaped([re.shape[0], 1]) }
        let rho00 = try total(r0.squared() + i0.squared()), rho11 = try total(r1.squared() + i1.squared())
        let rho01r = try total((r0 * r1) + (i0 * i1)), rho01i = try total((i0 * r1) - (r0 * i1))
        let q = { (k: Int) in try p.sliced(axis: 0, k..<(k + 1)) }
        return try ((rho00 * q(0)) + (rho11 * q(6))) + ((rho01r * (q(2) + q(4))) + (rho01i * (q(3) - q(5))))
    }
}
