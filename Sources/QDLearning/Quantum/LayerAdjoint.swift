import QDTensor

/// The quantum layer as a straight-line program of one-wire gates and permutations, with its
/// adjoint vector-Jacobian product written once over any ``AdjointScalar``.
///
/// For upstream weights g and L = Σ_bj g_bj q_bj, q_bj = ⟨ψ_b|H_j|ψ_b⟩, the adjoint method keeps
/// λ = Σ_j g_bj H_j ψ_b (so dL = 2 Re⟨λ|dψ⟩) and walks the gates backwards:
///
///     ψ ← U_k† ψ;   ∂L/∂t = 2 Re⟨λ| ∂U_k/∂t |ψ⟩ for each parameter t of gate k;   λ ← U_k† λ
///
/// Run on dual numbers (``DualLanes``) with the inputs' tangents set to a direction u, it gives the
/// layer's value and gradient and also their derivatives along u (forward over reverse):
/// the tangent of q is J·u, and the tangent of the gradient Jᵀg is the Hessian-vector product
/// (Σ_j g_j ∇²q_j)·u. Those are exactly the two halves of the backward rule of the gradient
/// itself, which the distillation meta-gradient needs. Run on plain values (``ValueLanes``) it is
/// the layer's forward pass and first-order gradient for small batches, where the simulator's
/// per-call set-up would cost more than the arithmetic.
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
            if n > 1 { steps.append(.permutation(layer.cnotRings[l % (n - 1)])) }
        }
        self.steps = steps
        switch layer.readout {
        case .pauliZ: readouts = (0..<n).map { Readout(first: $0, width: 1, offset: nil) }
        case .hermitian(let k):
            let size = 2 * (1 << (2 * k))
            readouts = (0..<(n / k)).map { Readout(first: k * $0, width: k, offset: size * $0) }
        }
    }

    /// Numbers with a directional derivative each: `values[i] + ε·tangents[i]`.
    struct DualArray {
        var values: [Double]
        var tangents: [Double]

        /// `count` zeros with zero tangents.
        init(zeros count: Int) { values = [Double](repeating: 0, count: count); tangents = values }
        init(values: [Double], tangents: [Double]) { self.values = values; self.tangents = tangents }

        /// Adds `lanes` (lane 0 first) to element i, as a scalar loop over the samples would.
        mutating func accumulate<T: AdjointLanes>(_ i: Int, _ lanes: T, count: Int) {
            for lane in 0..<count {
                values[i] = values[i] + lanes.value[lane]
                tangents[i] = tangents[i] + lanes.tangent[lane]
            }
        }

        /// Stores lane `lane` of `lanes` at element i.
        mutating func store<T: AdjointLanes>(_ i: Int, _ lanes: T, lane: Int) {
            values[i] = lanes.value[lane]
            tangents[i] = lanes.tangent[lane]
        }
    }

    /// The layer's outputs [B, O] and the gradients of Σ g ⊙ outputs with respect to the features
    /// [B, F], the angles and the Hermitian parameters, for the batch `h` [B, F] (row-major), all
    /// with their derivatives along the inputs' tangents when `T` carries tangents; the upstream
    /// weights g [B, O] are constants. Without `g` it runs the forward pass alone, and the
    /// gradients are zero.
    ///
    /// The samples go through the program ``AdjointLanes/width`` at a time, one per lane; the
    /// parameters' gradients add up the lanes in sample order. With `kept` final states, a run
    /// that finds them empty keeps each lane group's final state there, and a run that finds them
    /// full starts its readout and adjoint sweep from them instead of running the gates again
    /// (the same states, so the same bits).
    func run<T: AdjointLanes>(_: T.Type, features h: DualArray, angles: DualArray, hermitian: DualArray, upstream g: [Double]?,
                              kept: KeptStates<T>? = nil)
        -> (outputs: DualArray, features: DualArray, angles: DualArray, hermitian: DualArray) {
        let batch = h.values.count / features, outputs = readouts.count, width = T.width
        func shared(_ x: DualArray) -> [T] { zip(x.values, x.tangents).map { T(broadcasting: $0, tangent: $1) } }
        let program = Program<T>(self, angles: shared(angles), hermitian: shared(hermitian))
        var q = DualArray(zeros: batch * outputs), dh = DualArray(zeros: h.values.count)
        var dAngles = DualArray(zeros: angles.values.count), dHermitian = DualArray(zeros: hermitian.values.count)
        let upstream = g.map { DualArray(values: $0, tangents: [Double](repeating: 0, count: $0.count)) }
        // the lane groups run side by side when a parallel backward pass has idle threads, each
        // into its own slot; their results are then filed, and the parameters' parts added, in
        // group order, as one group after another would
        let groups = (batch + width - 1) / width
        let results = UnsafeMutableBufferPointer<Program<T>.Result?>.allocate(capacity: groups)
        results.initialize(repeating: nil)
        defer { results.deinitialize(); results.deallocate() }
        let isFull = kept?.isFull ?? false
        TensorThreads.sharingIdleThreads(groups) { group in
            let first = group * width
            // lanes past the batch repeat its last sample, and are dropped
            let s = (first, min(first + 1, batch - 1), min(first + 2, batch - 1), min(first + 3, batch - 1))
            func lanes(_ x: DualArray, _ i: Int, _ size: Int) -> T {
                T(value: SIMD4(x.values[s.0 * size + i], x.values[s.1 * size + i], x.values[s.2 * size + i], x.values[s.3 * size + i]),
                  tangent: SIMD4(x.tangents[s.0 * size + i], x.tangents[s.1 * size + i], x.tangents[s.2 * size + i], x.tangents[s.3 * size + i]))
            }
            let x = (0..<self.features).map { lanes(h, $0, self.features) }
            let weights = upstream.map { u in (0..<outputs).map { lanes(u, $0, outputs) } }
            results[group] = program.run(x, upstream: weights, kept: kept.map { ($0.group(group), isFull) })
        }
        for group in 0..<groups {
            let (first, result) = (group * width, results[group]!)
            let count = min(width, batch - first)
            for lane in 0..<count {
                for j in 0..<outputs { q.store((first + lane) * outputs + j, result.outputs[j], lane: lane) }
                for i in 0..<features { dh.store((first + lane) * features + i, result.features[i], lane: lane) }
            }
            for (k, v) in result.angles.enumerated() { dAngles.accumulate(k, v, count: count) }
            for (k, v) in result.hermitian.enumerated() { dHermitian.accumulate(k, v, count: count) }
        }
        kept?.isFull = true
        return (q, dh, dAngles, dHermitian)
    }

    /// The final states of a batch's lane groups, kept by a forward run for its adjoint sweep:
    /// ⌈B / width⌉ states of 2^n amplitudes.
    final class KeptStates<T: AdjointLanes> {
        private let states: UnsafeMutablePointer<ComplexOf<T>>
        private let dimension: Int, count: Int
        /// Whether a run has filled them.
        fileprivate(set) var isFull = false

        /// Room for the final states of `batch` samples of `adjoint`'s layer.
        init(_ adjoint: LayerAdjoint, batch: Int) {
            dimension = 1 << adjoint.qubits
            count = (batch + T.width - 1) / T.width * dimension
            states = .allocate(capacity: count)
            states.initialize(repeating: .zero, count: count)
        }

        deinit { states.deallocate() }

        /// Lane group k's state.
        fileprivate func group(_ k: Int) -> UnsafeMutablePointer<ComplexOf<T>> { states + k * dimension }
    }

    /// The program with its parameters bound: observables and Rot matrices built once, shared by
    /// the runs of every lane group (which may run at once, each on its own workspace).
    private final class Program<T: AdjointLanes> {
        let adjoint: LayerAdjoint
        let angleCount: Int, hermitianCount: Int
        let observables: [[ComplexOf<T>]]
        let gates: [GateMatrices<T>]

        /// What one run gives: the outputs, the feature gradients, and the lanes' contributions to
        /// the angle and Hermitian gradients.
        typealias Result = (outputs: [T], features: [T], angles: [T], hermitian: [T])

        init(_ adjoint: LayerAdjoint, angles: [T], hermitian: [T]) {
            self.adjoint = adjoint
            (angleCount, hermitianCount) = (angles.count, hermitian.count)
            observables = adjoint.readouts.map { adjoint.observableMatrix($0, hermitian) }
            gates = adjoint.steps.map { adjoint.fixedGate($0, angles: angles) }
        }

        /// One pass of the lanes' samples x [F]: their outputs [O], their feature gradients [F], and
        /// their contributions to the angle and Hermitian gradients, lane by lane; without upstream
        /// weights `g`, the outputs alone (the gradients are zero). With a `kept` state, the final
        /// state is stored there, or when it is full, read from there instead of running the gates.
        func run(_ x: [T], upstream g: [T]?, kept: (state: UnsafeMutablePointer<ComplexOf<T>>, isFull: Bool)? = nil) -> Result {
            let a = adjoint, zero = T(constant: 0), two = T(constant: 2), dim = 1 << a.qubits
            var q = [T](repeating: zero, count: a.readouts.count), dh = [T](repeating: zero, count: x.count)
            var dAngles = [T](repeating: zero, count: angleCount), dHermitian = [T](repeating: zero, count: hermitianCount)
            // four state vectors: ψ, λ, Hψ and a scratch for permutations
            let workspace = UnsafeMutablePointer<ComplexOf<T>>.allocate(capacity: 4 * dim)
            workspace.initialize(repeating: .zero, count: 4 * dim)
            defer { workspace.deallocate() }
            var gates = self.gates
            var (psi, lambda, hPsi, scratch) = (workspace, workspace + dim, workspace + 2 * dim, workspace + 3 * dim)
            for (k, step) in a.steps.enumerated() {
                if case .featureRotation(let axis, _, let f) = step { gates[k] = LayerAdjoint.rotation(axis, x[f]) }
            }
            var norm = T(constant: 1)
            if a.amplitudeEmbedding {
                var squared = zero
                for v in x { squared = squared + v * v }
                norm = T.sqrt(squared)
            }
            if let kept, kept.isFull {
                psi.update(from: kept.state, count: dim)
            } else {
                psi.update(repeating: .zero, count: dim)
                if a.amplitudeEmbedding {
                    for i in 0..<x.count { psi[i] = ComplexOf(re: x[i] / norm, im: zero) }
                } else {
                    psi[0] = ComplexOf(re: T(constant: 1), im: zero)
                }
                for (step, gate) in zip(a.steps, gates) {
                    if case .permutation(let p) = step {
                        for (i, source) in p.enumerated() { scratch[i] = psi[source] }
                        swap(&psi, &scratch)
                    } else {
                        a.apply(gate.matrix, stride: a.stride(step), psi)
                    }
                }
                kept?.state.update(from: psi, count: dim)
            }
            // readout: q_j = Re⟨ψ|H_j ψ⟩, λ = Σ_j g_j H_j ψ, and the Hermitian parameters' gradients
            lambda.update(repeating: .zero, count: dim)
            for (j, readout) in a.readouts.enumerated() {
                a.applyObservable(observables[j], readout, psi, into: hPsi)
                var value = zero
                for i in 0..<dim { value = value + psi[i].re * hPsi[i].re + psi[i].im * hPsi[i].im }
                q[j] = value
                guard let weight = g?[j] else { continue }
                for i in 0..<dim { lambda[i] = lambda[i] + ComplexOf(re: weight * hPsi[i].re, im: weight * hPsi[i].im) }
                if let offset = readout.offset { a.accumulateHermitianGradient(readout, offset: offset, weight: weight, psi, &dHermitian) }
            }
            guard g != nil else { return (q, dh, dAngles, dHermitian) }
            // the backward sweep
            for k in a.steps.indices.reversed() {
                let (step, gate) = (a.steps[k], gates[k])
                if case .permutation(let p) = step {
                    for (i, source) in p.enumerated() { scratch[source] = psi[i] }
                    swap(&psi, &scratch)
                    for (i, source) in p.enumerated() { scratch[source] = lambda[i] }
                    swap(&lambda, &scratch)
                    continue
                }
                let overlaps = a.unapply(gate.matrix, stride: a.stride(step), psi, lambda)
                switch step {
                case .rot(_, let k):
                    for t in 0..<3 { dAngles[k + t] = dAngles[k + t] + two * overlaps.realPart(against: gate.derivative(t)) }
                case .featureRotation(_, _, let f):
                    dh[f] = dh[f] + two * overlaps.realPart(against: gate.derivative(0))
                case .permutation: break
                }
            }
            if a.amplitudeEmbedding {
                // ψ₀ = x/‖x‖ with a = ∂L/∂ψ₀ = 2 Re λ: ∂L/∂x = (a − ψ₀(ψ₀·a))/‖x‖
                var projection = zero
                for i in 0..<x.count { projection = projection + psi[i].re * (two * lambda[i].re) }
                for i in 0..<x.count { dh[i] = (two * lambda[i].re - psi[i].re * projection) / norm }
            }
            return (q, dh, dAngles, dHermitian)
        }
    }

    // MARK: gates

    /// A one-wire gate's matrix [[u00, u01], [u10, u11]].
    struct Matrix<T: AdjointScalar> {
        var u00, u01, u10, u11: ComplexOf<T>
        static var zero: Matrix { Matrix(u00: .zero, u01: .zero, u10: .zero, u11: .zero) }

        /// Re Σ_rc D_rc·M_rc with M = self: Re⟨λ|D|ψ⟩ when self holds the overlaps of ``unapply``.
        func realPart(against d: Matrix) -> T {
            func re(_ x: ComplexOf<T>, _ y: ComplexOf<T>) -> T { x.re * y.re - x.im * y.im }
            return re(d.u00, u00) + re(d.u01, u01) + re(d.u10, u10) + re(d.u11, u11)
        }
    }

    /// A gate's matrix and its derivatives with respect to its parameters (three for Rot, one for a
    /// feature rotation, none for a permutation).
    struct GateMatrices<T: AdjointScalar> {
        var matrix: Matrix<T>
        var derivatives: (Matrix<T>, Matrix<T>, Matrix<T>)

        /// ∂U/∂(parameter t).
        func derivative(_ t: Int) -> Matrix<T> { t == 0 ? derivatives.0 : t == 1 ? derivatives.1 : derivatives.2 }
    }

    /// The matrices of a Rot gate from the angles; feature rotations are filled in per sample, and
    /// permutations have none.
    private func fixedGate<T>(_ step: Step, angles: [T]) -> GateMatrices<T> {
        guard case .rot(_, let k) = step else { return GateMatrices(matrix: .zero, derivatives: (.zero, .zero, .zero)) }
        return LayerAdjoint.rot(phi: angles[k], theta: angles[k + 1], omega: angles[k + 2])
    }

    /// Rot(φ, θ, ω) = [[e^{−ia}c, −e^{ib}s], [e^{−ib}s, e^{ia}c]] with a = (φ+ω)/2, b = (φ−ω)/2,
    /// c = cos θ/2, s = sin θ/2, and its derivatives: ∂/∂φ multiplies the entries by
    /// (−i, i, −i, i)/2, ∂/∂ω by (−i, −i, i, i)/2, and ∂/∂θ replaces (c, s) by (−s, c)/2.
    private static func rot<T: AdjointScalar>(phi: T, theta: T, omega: T) -> GateMatrices<T> {
        let half = T(constant: 0.5)
        let a = (phi + omega) * half, b = (phi - omega) * half
        let c = T.cos(theta * half), s = T.sin(theta * half)
        let (ca, sa, cb, sb) = (T.cos(a), T.sin(a), T.cos(b), T.sin(b))
        func entries(_ c: T, _ s: T) -> Matrix<T> {
            Matrix(u00: ComplexOf(re: ca * c, im: -(sa * c)), u01: ComplexOf(re: -(cb * s), im: -(sb * s)),
                   u10: ComplexOf(re: cb * s, im: -(sb * s)), u11: ComplexOf(re: ca * c, im: sa * c))
        }
        func timesImaginary(_ m: Matrix<T>, _ k: (Double, Double, Double, Double)) -> Matrix<T> {
            Matrix(u00: m.u00.timesImaginary(k.0), u01: m.u01.timesImaginary(k.1), u10: m.u10.timesImaginary(k.2), u11: m.u11.timesImaginary(k.3))
        }
        let u = entries(c, s)
        let dPhi = timesImaginary(u, (-0.5, 0.5, -0.5, 0.5)), dOmega = timesImaginary(u, (-0.5, -0.5, 0.5, 0.5))
        return GateMatrices(matrix: u, derivatives: (dPhi, entries(-(s * half), c * half), dOmega))
    }

    /// RX, RY or RZ of angle x (PennyLane's exp(−ixP/2)) and its derivative.
    private static func rotation<T: AdjointScalar>(_ axis: Axis, _ x: T) -> GateMatrices<T> {
        let half = T(constant: 0.5), zero = T(constant: 0)
        let c = T.cos(x * half), s = T.sin(x * half)
        func r(_ v: T) -> ComplexOf<T> { ComplexOf(re: v, im: zero) }
        func i(_ v: T) -> ComplexOf<T> { ComplexOf(re: zero, im: v) }
        func matrix(_ c: T, _ s: T) -> Matrix<T> {
            switch axis {
            case .x: return Matrix(u00: r(c), u01: i(-s), u10: i(-s), u11: r(c))
            case .y: return Matrix(u00: r(c), u01: r(-s), u10: r(s), u11: r(c))
            case .z: return Matrix(u00: ComplexOf(re: c, im: -s), u01: .zero, u10: .zero, u11: ComplexOf(re: c, im: s))
            }
        }
        return GateMatrices(matrix: matrix(c, s), derivatives: (matrix(-(s * half), c * half), .zero, .zero))
    }

    /// The stride between the two amplitudes a one-wire gate on `wire` mixes (wire 0 is the most
    /// significant bit).
    private func stride(_ step: Step) -> Int {
        switch step {
        case .rot(let w, _), .featureRotation(_, let w, _): return 1 << (qubits - 1 - w)
        case .permutation: return 0
        }
    }

    /// The k-th pair (i0, i1 = i0 + stride) of amplitudes a one-wire gate with `stride` (a power of
    /// two) mixes, for k in 0..<2^(n−1): k's bits below the stride stay, the bits above move up one.
    @inline(__always)
    private static func pair(_ k: Int, stride: Int) -> (Int, Int) {
        let low = k & (stride - 1), i0 = ((k - low) << 1) | low
        return (i0, i0 + stride)
    }

    /// ψ ← Uψ for a one-wire gate.
    private func apply<T>(_ m: Matrix<T>, stride: Int, _ psi: UnsafeMutablePointer<ComplexOf<T>>) {
        for k in 0..<(1 << (qubits - 1)) {
            let (i0, i1) = Self.pair(k, stride: stride)
            let (a, b) = (psi[i0], psi[i1])
            psi[i0] = m.u00 * a + m.u01 * b
            psi[i1] = m.u10 * a + m.u11 * b
        }
    }

    /// One gate of the backward sweep: ψ ← U†ψ, then λ ← U†λ, returning the overlaps between
    /// them in between, M_rc = Σ_pairs conj(λ_r)·ψ_c over each pair (ψ_0, ψ_1) the gate mixes, with
    /// ψ already unapplied and λ not yet. For any one-wire matrix D, ⟨λ|D|ψ⟩ = Σ_rc D_rc·M_rc, so the
    /// gradient of every parameter of the gate comes from M (``Matrix/realPart(against:)``)
    /// without another pass over the state.
    private func unapply<T>(_ m: Matrix<T>, stride: Int, _ psi: UnsafeMutablePointer<ComplexOf<T>>,
                            _ lambda: UnsafeMutablePointer<ComplexOf<T>>) -> Matrix<T> {
        let (c00, c01, c10, c11) = (m.u00.conjugate, m.u01.conjugate, m.u10.conjugate, m.u11.conjugate)
        var overlaps = Matrix<T>.zero
        for k in 0..<(1 << (qubits - 1)) {
            let (i0, i1) = Self.pair(k, stride: stride)
            let (a, b) = (psi[i0], psi[i1])
            let (p0, p1) = (c00 * a + c10 * b, c01 * a + c11 * b)
            psi[i0] = p0
            psi[i1] = p1
            let (l0, l1) = (lambda[i0], lambda[i1])
            overlaps.u00 = overlaps.u00 + l0.conjugate * p0
            overlaps.u01 = overlaps.u01 + l0.conjugate * p1
            overlaps.u10 = overlaps.u10 + l1.conjugate * p0
            overlaps.u11 = overlaps.u11 + l1.conjugate * p1
            lambda[i0] = c00 * l0 + c10 * l1
            lambda[i1] = c01 * l0 + c11 * l1
        }
        return overlaps
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

    /// out ← Hψ for the readout's matrix acting on its wires.
    private func applyObservable<T>(_ h: [ComplexOf<T>], _ readout: Readout, _ psi: UnsafeMutablePointer<ComplexOf<T>>,
                                    into out: UnsafeMutablePointer<ComplexOf<T>>) {
        let (outer, d, inner) = layout(readout)
        for o in 0..<outer { for a in 0..<d { for l in 0..<inner {
            var sum = ComplexOf<T>.zero
            for b in 0..<d { sum = sum + h[a * d + b] * psi[(o * d + b) * inner + l] }
            out[(o * d + a) * inner + l] = sum
        } } }
    }

    /// Adds weight·∂q/∂p to `gradient`: with ρ_ba = Σ ψ_b ψ_a* over the other wires,
    /// ∂q/∂Re A_ab = Re ρ_ba and ∂q/∂Im A_ab = −Im ρ_ba.
    private func accumulateHermitianGradient<T>(_ readout: Readout, offset: Int, weight: T, _ psi: UnsafeMutablePointer<ComplexOf<T>>, _ gradient: inout [T]) {
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
