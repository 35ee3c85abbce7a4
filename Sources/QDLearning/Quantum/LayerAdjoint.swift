/// The quantum layer as a straight-line program of one-wire gates and permutations, with its
/// adjoint vector-Jacobian product written once over any ``AdjointScalar``.
///
/// For upstream weights g and L = Σ_bj g_bj q_bj, q_bj = ⟨ψ_b|H_j|ψ_b⟩, the adjoint method keeps
/// λ = Σ_j g_bj H_j ψ_b (so dL = 2 Re⟨λ|dψ⟩) and walks the gates backwards:
///
///     ψ ← U_k† ψ;   ∂L/∂t = 2 Re⟨λ| ∂U_k/∂t |ψ⟩ for each parameter t of gate k;   λ ← U_k† λ
///
/// Run on `Double` it gives the layer's value and gradient. Run on ``DualNumber`` with the inputs'
/// tangents set to a direction u, it also gives their derivatives along u (forward over reverse):
/// the tangent of q is J·u, and the tangent of the gradient Jᵀg is the Hessian-vector product
/// (Σ_j g_j ∇²q_j)·u. Those are exactly the two halves of the backward rule of the gradient
/// itself, which the distillation meta-gradient needs.
struct LayerAdjoint {
    /// One step of the program.
    enum Step {
        /// Rot(φ, θ, ω) = RZ(ω)·RY(θ)·RZ(φ) on `wire`, reading angles[angle ..< angle + 3].
        case rot(wire: Int, angle: Int)
        /// RX, RY or RZ of feature `feature` on `wire` (angle embeddings).
        case featureRotation(Axis, wire: Int, feature: Int)
        /// new[a] = old[permutation[a]] (a ring of CNOTs).
        case permutation([Int])
    }

    /// The axis of a feature rotation.
    enum Axis { case x, y, z }

    /// A measured observable on the consecutive wires `first ..< first + width`: a trainable
    /// Hermitian reading hermitian[offset ..< offset + 2·4^width], or Pauli Z when `offset` is nil.
    struct Readout { let first: Int, width: Int, offset: Int? }

    let qubits: Int
    let features: Int
    let amplitudeEmbedding: Bool
    let steps: [Step]
    let readouts: [Readout]

    /// The program of `layer` reading `features` features per sample.
    init(_ layer: QuantumLayer, features: Int) {
        let n = layer.qubits
        qubits = n
        self.features = features
        amplitudeEmbedding = layer.embedding == .amplitude
        var steps: [Step] = []
        switch layer.embedding {
        case .amplitude: break
        case .angle: steps = (0..<features).map { .featureRotation(.x, wire: $0, feature: $0) }
        case .denseAngle: steps = (0..<features).map { .featureRotation($0 % 2 == 0 ? .y : .z, wire: $0 / 2, feature: $0) }
        }
        for l in 0..<layer.layers {
            steps += (0..<n).map { .rot(wire: $0, angle: 3 * (l * n + $0)) }
            if n > 1 { steps.append(.permutation(layer.cnotRing(range: (l % (n - 1)) + 1))) }
        }
        self.steps = steps
        switch layer.readout {
        case .pauliZ: readouts = (0..<n).map { Readout(first: $0, width: 1, offset: nil) }
        case .hermitian(let k):
            let size = 2 * (1 << (2 * k))
            readouts = (0..<(n / k)).map { Readout(first: k * $0, width: k, offset: size * $0) }
        }
    }

    /// The layer's outputs [B, O] and the gradients of Σ g ⊙ outputs with respect to the features
    /// [B, F], the angles and the Hermitian parameters, for the batch `h` [B, F] (row-major).
    func run<T: AdjointScalar>(features h: [T], angles: [T], hermitian: [T], upstream g: [T])
        -> (outputs: [T], features: [T], angles: [T], hermitian: [T]) {
        let zero = T(constant: 0), two = T(constant: 2)
        let batch = h.count / features, outputs = readouts.count, dim = 1 << qubits
        var q = [T](repeating: zero, count: batch * outputs), dh = [T](repeating: zero, count: h.count)
        var dAngles = [T](repeating: zero, count: angles.count), dHermitian = [T](repeating: zero, count: hermitian.count)
        let observables = readouts.map { observableMatrix($0, hermitian) }
        let gates = steps.map { gateMatrices($0, angles: angles) }
        for b in 0..<batch {
            let x = Array(h[(b * features)..<((b + 1) * features)])
            let sampleGates = gates.map { $0(x) }
            var psi = [ComplexOf<T>](repeating: .zero, count: dim)
            var norm = T(constant: 1)
            if amplitudeEmbedding {
                var squared = zero
                for v in x { squared = squared + v * v }
                norm = T.sqrt(squared)
                for i in 0..<features { psi[i] = ComplexOf(re: x[i] / norm, im: zero) }
            } else {
                psi[0] = ComplexOf(re: T(constant: 1), im: zero)
            }
            for (step, gate) in zip(steps, sampleGates) { apply(step, gate.matrix, &psi) }
            // readout: q_j = Re⟨ψ|H_j ψ⟩, λ = Σ_j g_j H_j ψ, and the Hermitian parameters' gradients
            var lambda = [ComplexOf<T>](repeating: .zero, count: dim)
            for (j, readout) in readouts.enumerated() {
                let weight = g[b * outputs + j]
                let hPsi = applyObservable(observables[j], readout, psi)
                var value = zero
                for i in 0..<dim {
                    value = value + psi[i].re * hPsi[i].re + psi[i].im * hPsi[i].im
                    lambda[i] = lambda[i] + ComplexOf(re: weight * hPsi[i].re, im: weight * hPsi[i].im)
                }
                q[b * outputs + j] = value
                if let offset = readout.offset { accumulateHermitianGradient(readout, offset: offset, weight: weight, psi, &dHermitian) }
            }
            // the backward sweep
            for (step, (matrix, derivatives)) in zip(steps, sampleGates).reversed() {
                if case .permutation(let p) = step {
                    psi = unpermuted(psi, p)
                    lambda = unpermuted(lambda, p)
                    continue
                }
                applyAdjoint(step, matrix, &psi)
                let contributions = derivatives.map { two * overlap(lambda, $0, psi, step) }
                switch step {
                case .rot(_, let a): for t in 0..<3 { dAngles[a + t] = dAngles[a + t] + contributions[t] }
                case .featureRotation(_, _, let f): dh[b * features + f] = dh[b * features + f] + contributions[0]
                case .permutation: break
                }
                applyAdjoint(step, matrix, &lambda)
            }
            if amplitudeEmbedding {
                // ψ₀ = x/‖x‖ with a = ∂L/∂ψ₀ = 2 Re λ: ∂L/∂x = (a − ψ₀(ψ₀·a))/‖x‖
                var projection = zero
                for i in 0..<features { projection = projection + psi[i].re * (two * lambda[i].re) }
                for i in 0..<features { dh[b * features + i] = (two * lambda[i].re - psi[i].re * projection) / norm }
            }
        }
        return (q, dh, dAngles, dHermitian)
    }

    // MARK: gates

    /// A gate's 2×2 matrix [u00, u01, u10, u11] and its derivatives with respect to its parameters,
    /// as a function of the sample's features (only feature rotations read them).
    private func gateMatrices<T>(_ step: Step, angles: [T]) -> ([T]) -> (matrix: [ComplexOf<T>], derivatives: [[ComplexOf<T>]]) {
        switch step {
        case .permutation: return { _ in ([], []) }
        case .rot(_, let k):
            let m = LayerAdjoint.rot(phi: angles[k], theta: angles[k + 1], omega: angles[k + 2])
            return { _ in m }
        case .featureRotation(let axis, _, let f):
            return { x in LayerAdjoint.rotation(axis, x[f]) }
        }
    }

    /// Rot(φ, θ, ω) = [[e^{−ia}c, −e^{ib}s], [e^{−ib}s, e^{ia}c]] with a = (φ+ω)/2, b = (φ−ω)/2,
    /// c = cos θ/2, s = sin θ/2, and its derivatives: ∂/∂φ multiplies the entries by
    /// (−i, i, −i, i)/2, ∂/∂ω by (−i, −i, i, i)/2, and ∂/∂θ replaces (c, s) by (−s, c)/2.
    private static func rot<T: AdjointScalar>(phi: T, theta: T, omega: T) -> ([ComplexOf<T>], [[ComplexOf<T>]]) {
        let half = T(constant: 0.5)
        let a = (phi + omega) * half, b = (phi - omega) * half
        let c = T.cos(theta * half), s = T.sin(theta * half)
        let (ca, sa, cb, sb) = (T.cos(a), T.sin(a), T.cos(b), T.sin(b))
        func entries(_ c: T, _ s: T) -> [ComplexOf<T>] {
            [ComplexOf(re: ca * c, im: -(sa * c)), ComplexOf(re: -(cb * s), im: -(sb * s)),
             ComplexOf(re: cb * s, im: -(sb * s)), ComplexOf(re: ca * c, im: sa * c)]
        }
        let u = entries(c, s)
        let dPhi = zip(u, [-0.5, 0.5, -0.5, 0.5]).map { $0.timesImaginary($1) }
        let dOmega = zip(u, [-0.5, -0.5, 0.5, 0.5]).map { $0.timesImaginary($1) }
        let dTheta = entries(-(s * half), c * half)
        return (u, [dPhi, dTheta, dOmega])
    }

    /// RX, RY or RZ of angle x (PennyLane's exp(−ixP/2)) and its derivative.
    private static func rotation<T: AdjointScalar>(_ axis: Axis, _ x: T) -> ([ComplexOf<T>], [[ComplexOf<T>]]) {
        let half = T(constant: 0.5), zero = T(constant: 0)
        let c = T.cos(x * half), s = T.sin(x * half)
        func r(_ v: T) -> ComplexOf<T> { ComplexOf(re: v, im: zero) }
        func i(_ v: T) -> ComplexOf<T> { ComplexOf(re: zero, im: v) }
        func matrix(_ c: T, _ s: T) -> [ComplexOf<T>] {
            switch axis {
            case .x: return [r(c), i(-s), i(-s), r(c)]
            case .y: return [r(c), r(-s), r(s), r(c)]
            case .z: return [ComplexOf(re: c, im: -s), .zero, .zero, ComplexOf(re: c, im: s)]
            }
        }
        return (matrix(c, s), [matrix(-(s * half), c * half)])
    }

    /// The stride between the two amplitudes a one-wire gate on `wire` mixes (wire 0 is the most
    /// significant bit).
    private func stride(_ step: Step) -> Int {
        switch step {
        case .rot(let w, _), .featureRotation(_, let w, _): return 1 << (qubits - 1 - w)
        case .permutation: return 0
        }
    }

    /// Calls `body(i0, i1)` for every pair of amplitudes a one-wire gate with `stride` mixes.
    private func forEachPair(_ stride: Int, _ body: (Int, Int) -> Void) {
        var base = 0
        while base < 1 << qubits {
            for i in base..<(base + stride) { body(i, i + stride) }
            base += 2 * stride
        }
    }

    private func apply<T>(_ step: Step, _ m: [ComplexOf<T>], _ psi: inout [ComplexOf<T>]) {
        if case .permutation(let p) = step { psi = p.map { psi[$0] }; return }
        forEachPair(stride(step)) { i0, i1 in
            let (a, b) = (psi[i0], psi[i1])
            psi[i0] = m[0] * a + m[1] * b
            psi[i1] = m[2] * a + m[3] * b
        }
    }

    /// ψ ← U†ψ for a one-wire gate.
    private func applyAdjoint<T>(_ step: Step, _ m: [ComplexOf<T>], _ psi: inout [ComplexOf<T>]) {
        forEachPair(stride(step)) { i0, i1 in
            let (a, b) = (psi[i0], psi[i1])
            psi[i0] = m[0].conjugate * a + m[2].conjugate * b
            psi[i1] = m[1].conjugate * a + m[3].conjugate * b
        }
    }

    private func unpermuted<T>(_ psi: [ComplexOf<T>], _ p: [Int]) -> [ComplexOf<T>] {
        var old = psi
        for (a, source) in p.enumerated() { old[source] = psi[a] }
        return old
    }

    /// Re⟨λ| D |ψ⟩ for the one-wire matrix D of `step`.
    private func overlap<T>(_ lambda: [ComplexOf<T>], _ d: [ComplexOf<T>], _ psi: [ComplexOf<T>], _ step: Step) -> T {
        var total = T(constant: 0)
        forEachPair(stride(step)) { i0, i1 in
            let (a, b) = (psi[i0], psi[i1])
            let d0 = d[0] * a + d[1] * b, d1 = d[2] * a + d[3] * b
            total = total + lambda[i0].re * d0.re + lambda[i0].im * d0.im + lambda[i1].re * d1.re + lambda[i1].im * d1.im
        }
        return total
    }

    // MARK: observables

    /// The d×d matrix (row-major) of a readout: H = (A + A†)/2 with A_ab = p[2(ad+b)] + i·p[2(ad+b)+1]
    /// read from `offset`, or Pauli Z.
    private func observableMatrix<T>(_ readout: Readout, _ p: [T]) -> [ComplexOf<T>] {
        let half = T(constant: 0.5)
        guard let offset = readout.offset else {
            return [ComplexOf(re: T(constant: 1), im: T(constant: 0)), .zero, .zero, ComplexOf(re: T(constant: -1), im: T(constant: 0))]
        }
        let d = 1 << readout.width
        var h = [ComplexOf<T>](repeating: .zero, count: d * d)
        for a in 0..<d { for b in 0..<d {
            let ab = offset + 2 * (a * d + b), ba = offset + 2 * (b * d + a)
            h[a * d + b] = ComplexOf(re: (p[ab] + p[ba]) * half, im: (p[ab + 1] - p[ba + 1]) * half)
        } }
        return h
    }

    /// The index of amplitude (outer, a, inner) when the readout's wires hold a.
    private func layout(_ readout: Readout) -> (outer: Int, d: Int, inner: Int) {
        (1 << readout.first, 1 << readout.width, 1 << (qubits - readout.first - readout.width))
    }

    /// Hψ for the readout's matrix acting on its wires.
    private func applyObservable<T>(_ h: [ComplexOf<T>], _ readout: Readout, _ psi: [ComplexOf<T>]) -> [ComplexOf<T>] {
        let (outer, d, inner) = layout(readout)
        var out = [ComplexOf<T>](repeating: .zero, count: psi.count)
        for o in 0..<outer { for a in 0..<d { for b in 0..<d {
            let hab = h[a * d + b]
            for l in 0..<inner {
                let target = (o * d + a) * inner + l
                out[target] = out[target] + hab * psi[(o * d + b) * inner + l]
            }
        } } }
        return out
    }

    /// Adds weight·∂q/∂p to `gradient`: with ρ_ba = Σ ψ_b ψ_a* over the other wires,
    /// ∂q/∂Re A_ab = Re ρ_ba and ∂q/∂Im A_ab = −Im ρ_ba.
    private func accumulateHermitianGradient<T>(_ readout: Readout, offset: Int, weight: T, _ psi: [ComplexOf<T>], _ gradient: inout [T]) {
        let (outer, d, inner) = layout(readout)
        for a in 0..<d { for b in 0..<d {
            var rhoRe = T(constant: 0), rhoIm = T(constant: 0)
            for o in 0..<outer { for l in 0..<inner {
                let pa = psi[(o * d + a) * inner + l], pb = psi[(o * d + b) * inner + l]
                rhoRe = rhoRe + pb.re * pa.re + pb.im * pa.im
                rhoIm = rhoIm + pb.im * pa.re - pb.re * pa.im
            } }
            let k = offset + 2 * (a * d + b)
            gradient[k] = gradient[k] + weight * rhoRe
            gradient[k + 1] = gradient[k + 1] - weight * rhoIm
        } }
    }
}
