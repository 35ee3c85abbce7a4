/// A validated run: the circuit, the measured observables and the inputs, for one batch (or one
/// chunk of columns). ``Simulator`` builds it after checking every argument, so nothing here can
/// fail; it lowers the circuit with ``compiled()`` only for the batches it actually runs.
struct RunPlan {
    let circuit: Circuit
    let trainable: [Double]
    let batch: Int
    let observables: [Observable]
    /// Per observable, its Hermitian matrix (nil for Pauli sums).
    let matrices: [ComplexMatrix?]
    let observableParameterCount: Int
    let inputs: [Double]
    let features: Int
    /// dL/dE when a backward sweep is wanted.
    let upstream: Upstream?
    /// What the backward sweep differentiates.
    let targets: DifferentiationTargets
    /// The Z-only Pauli terms, measured and seeded together in one pass each when the batch is
    /// wide enough to vectorise across columns (B ≥ 8); empty otherwise.
    let diagonalTerms: [DiagonalTerm]

    init(circuit: Circuit, trainable: [Double], batch: Int, observables: [Observable], matrices: [ComplexMatrix?],
         observableParameterCount: Int, inputs: [Double], features: Int, upstream: Upstream?, targets: DifferentiationTargets) {
        self.circuit = circuit
        self.trainable = trainable
        self.batch = batch
        self.observables = observables
        self.matrices = matrices
        self.observableParameterCount = observableParameterCount
        self.inputs = inputs
        self.features = features
        self.upstream = upstream
        self.targets = targets
        var diagonal: [DiagonalTerm] = []
        if batch >= 8 {
            for (k, obs) in observables.enumerated() {
                guard case .pauli(let terms) = obs else { continue }
                for t in terms where t.factors.allSatisfy({ $0.pauli == .z }) {
                    diagonal.append(DiagonalTerm(output: k, coefficient: t.coefficient, signMask: t.pattern(qubits: circuit.qubits).signMask))
                }
            }
        }
        diagonalTerms = diagonal
    }

    /// The circuit lowered for this plan's batch and inputs.
    func compiled() -> [CompiledOp] {
        compile(circuit, batch: batch, trainable: trainable, inputs: inputs, features: features)
    }

    /// True when some gate reads per-sample inputs, so the lowered ops differ between chunks.
    var hasPerSampleParameters: Bool {
        circuit.operations.contains { $0.parameters.contains { if case .input = $0 { return true } else { return false } } }
    }

    var qubits: Int { circuit.qubits }
    var preparation: StatePreparation? { circuit.preparation }
    var trainableCount: Int { circuit.trainableCount }
    var outputs: Int { observables.count }
    var dimension: Int { 1 << qubits }

    /// The plan for columns `cols` alone, as a batch of `cols.count` (inputs and upstream sliced).
    func chunk(_ cols: Range<Int>) -> RunPlan {
        let o = outputs, c0 = cols.lowerBound
        let up: Upstream? = upstream.map {
            switch $0 {
            case .values(let g): return .values(Array(g[(c0 * o)..<(cols.upperBound * o)]))
            case .perItem(let f): return .perItem { item, row in f(item + c0, row) }
            }
        }
        let hasInputs = inputs.count == batch * features && features > 0
        return RunPlan(circuit: circuit, trainable: trainable, batch: cols.count, observables: observables, matrices: matrices,
                       observableParameterCount: observableParameterCount,
                       inputs: hasInputs ? Array(inputs[(c0 * features)..<(cols.upperBound * features)]) : inputs,
                       features: hasInputs ? features : 0, upstream: up, targets: targets)
    }
}

/// Per-column outputs, written in place by the pipelines (each owns a disjoint column range).
struct ColumnOutputs {
    /// ⟨O_o⟩ of column c at `c·O + o`.
    let expectations: UnsafeMutablePointer<Double>
    /// Σ_o g_co ∂E_co/∂x_cf at `c·F + f` (backward runs only).
    let inputGradient: UnsafeMutablePointer<Double>
}

/// The gradients summed over one pipeline's columns; partial sums of column ranges add up.
struct RunResult {
    /// Σ_c,o g_co ∂E_co/∂θ.
    var trainableGradient: [Double]
    /// Σ_c,o g_co ∂E_co/∂p for the observable parameters.
    var observableGradient: [Double]
    /// An item whose per-item upstream gradient was unusable, with the reason.
    var upstreamError: String?

    init(_ plan: RunPlan) {
        trainableGradient = Array(repeating: 0, count: plan.trainableCount)
        observableGradient = Array(repeating: 0, count: plan.observableParameterCount)
    }

    mutating func add(_ other: RunResult) {
        for k in trainableGradient.indices { trainableGradient[k] += other.trainableGradient[k] }
        for k in observableGradient.indices { observableGradient[k] += other.observableGradient[k] }
        upstreamError = upstreamError ?? other.upstreamError
    }
}

/// Runs a ``RunPlan`` on one column range: prepare, forward, measure, and (with an upstream
/// gradient) seed λ = Σ_o g_o·O_o·φ and sweep backward. `parts` threads split every kernel's
/// outer loop; callers split columns across threads by running several pipelines.
struct Pipeline {
    let plan: RunPlan
    /// The circuit lowered for `plan` (see ``RunPlan/compiled()``).
    let ops: [CompiledOp]
    let phi: StatePointers
    let lam: StatePointers
    let layout: RunLayout
    let parts: Int
    let outputs: ColumnOutputs

    /// Prepares the states (unless `prepared`: φ holds the initial states), runs the circuit
    /// (unless `forwardDone`: φ holds the final states), measures, and runs the adjoint sweep when
    /// the plan has an upstream gradient.
    func run(prepared: Bool, forwardDone: Bool = false) -> RunResult {
        var result = RunResult(plan)
        let inverseNorms = amplitudeInverseNorms()
        if !prepared { prepare(inverseNorms) }
        if !forwardDone { forward() }
        let densities = measure()
        if let upstream = plan.upstream {
            guard let g = resolve(upstream, &result) else { return result }
            seedAdjoint(densities, g, into: &result)
            backward(into: &result)
            inputGradient(inverseNorms)
        }
        return result
    }

    // MARK: preparation

    private func prepare(_ inverseNorms: [Double]) {
        let b = plan.batch, f = plan.features
        switch plan.preparation {
        case nil:
            for c in 0..<b { phi.re[c] = 1 }
        case .amplitude(let feats, let wires, let pad)?:
            // ψ = v/‖v‖, written amplitude by amplitude so each store is a contiguous row of B columns
            let offsets = blockOffsets(qubits: plan.qubits, wires: wires, batch: b)
            for (j, o) in offsets.enumerated() {
                let row = phi.re + o
                if j < feats.count {
                    let k = feats.lowerBound + j
                    for c in 0..<b { row[c] = plan.inputs[c * f + k] * inverseNorms[c] }
                } else {
                    for c in 0..<b { row[c] = pad * inverseNorms[c] }
                }
            }
        case .basis(let feats, let wires)?:
            for c in 0..<b {
                var a = 0
                for (j, w) in wires.enumerated() where plan.inputs[c * f + feats.lowerBound + j] == 1 {
                    a |= 1 << (plan.qubits - 1 - w)
                }
                phi.re[a * b + c] = 1
            }
        }
    }

    /// 1/‖v_c‖ of every column's padded amplitude vector (empty without amplitude embedding).
    private func amplitudeInverseNorms() -> [Double] {
        guard case .amplitude(let feats, let wires, let pad)? = plan.preparation else { return [] }
        let padded = Double((1 << wires.count) - feats.count) * pad * pad
        return (0..<plan.batch).map { c in
            var s = padded
            for k in feats { let x = plan.inputs[c * plan.features + k]; s += x * x }
            return 1 / s.squareRoot()
        }
    }

    // MARK: forward

    private func forward() {
        for op in ops { apply(op, to: phi, inverse: false) }
    }

    private func apply(_ op: CompiledOp, to s: StatePointers, inverse: Bool) {
        let (layout, pattern, partner) = (self.layout, op.pattern, op.partner)
        if let low = op.lowWire, layout.batch == 1 {
            let kernel = inverse ? low.inverse : low.forward
            parallelFor(parts) { kernel.apply(s, layout.part($0, of: parts)) }
            return
        }
        switch op.kind {
        case .dense1(let m, let inv):
            let mm = inverse ? inv : m
            parallelFor(parts) { applyDense1(s, mm, layout.part($0, of: parts), pattern, partner: partner) }
        case .diagonal1(let m, let inv):
            let mm = inverse ? inv : m
            parallelFor(parts) { applyDiagonal1(s, mm, layout.part($0, of: parts), pattern, partner: partner) }
        case .swapPartners:
            parallelFor(parts) { applySwapPartners(s, layout.part($0, of: parts), pattern, partner: partner) }
        case .denseK(let m, let inv, let offsets):
            let mm = inverse ? inv : m
            parallelFor(parts) { applyDenseK(s, mm, layout.part($0, of: parts), pattern, offsets: offsets) }
        case .perColumn1(let m, let inv):
            let mm = inverse ? inv : m
            parallelFor(parts) { applyDense1PerColumn(s, mm, layout.part($0, of: parts), pattern, partner: partner) }
        }
    }

    // MARK: measurement

    /// Fills the expectations of this pipeline's columns; returns the reduced density matrices of
    /// matrix observables (per observable, `2d²·B` doubles, see ``reducedDensity``).
    private func measure() -> [[Double]?] {
        let b = plan.batch, o = plan.outputs
        var densities: [[Double]?] = []
        let diagonal = plan.diagonalTerms
        let diagonalValues = diagonal.isEmpty ? [] : reduceParts(parts, size: diagonal.count * b) { pt, buf in
            diagonalExpectations(phi, diagonal, layout.part(pt, of: parts), out: buf)
        }
        for (k, obs) in plan.observables.enumerated() {
            var values = [Double](repeating: 0, count: b)
            for (t, term) in diagonal.enumerated() where term.output == k {
                for c in 0..<b { values[c] += diagonalValues[t * b + c] }
            }
            var rho: [Double]?
            switch obs {
            case .pauli(let terms):
                for t in terms where diagonal.isEmpty || !t.factors.allSatisfy({ $0.pauli == .z }) {
                    let p = t.pattern(qubits: plan.qubits)
                    let part = reduceParts(parts, size: b) { pt, buf in
                        if t.factors.count == 1, t.factors[0].pauli == .z {
                            let w = t.factors[0].wire
                            let pattern = BitPattern(qubits: plan.qubits, targets: [w], controls: [])
                            singleZExpectation(phi, coefficient: t.coefficient, layout.part(pt, of: parts), pattern,
                                               partner: (1 << (plan.qubits - 1 - w)) * b, out: buf)
                        } else {
                            pauliExpectation(phi, p, coefficient: t.coefficient, layout.part(pt, of: parts), out: buf)
                        }
                    }
                    for c in 0..<plan.batch { values[c] += part[c] }
                }
            default:
                let m = plan.matrices[k]!
                let wires = obs.wires
                let d = m.dimension
                let pattern = BitPattern(qubits: plan.qubits, targets: wires, controls: [])
                let offsets = blockOffsets(qubits: plan.qubits, wires: wires, batch: b)
                let r = reduceParts(parts, size: 2 * d * d * b) { pt, buf in
                    reducedDensity(phi, layout.part(pt, of: parts), pattern, offsets: offsets, out: buf)
                }
                for c in 0..<plan.batch {
                    // E = Re Σ_xy H[x,y]·ρ[y,x]; only x ≤ y is stored, ρ[y,x] = conj(ρ[x,y]).
                    var e = 0.0
                    for x in 0..<d { for y in 0..<d {
                        let (lo, hi) = (min(x, y), max(x, y))
                        let rr = r[2 * (lo * d + hi) * b + c], ri = r[(2 * (lo * d + hi) + 1) * b + c]
                        let rhoYX = x <= y ? Complex(rr, -ri) : Complex(rr, ri)
                        e += (m[x, y] * rhoYX).re
                    } }
                    values[c] = e
                }
                rho = r
            }
            for c in 0..<plan.batch { outputs.expectations[c * o + k] = values[c] }
            densities.append(rho)
        }
        return densities
    }

    // MARK: adjoint

    /// The upstream gradient of this pipeline's columns (B × O, zero elsewhere), or nil after
    /// recording why a per-item closure's answer is unusable.
    private func resolve(_ upstream: Upstream, _ result: inout RunResult) -> [Double]? {
        let o = plan.outputs
        switch upstream {
        case .values(let g): return g
        case .perItem(let f):
            var g = [Double](repeating: 0, count: plan.batch * o)
            for c in 0..<plan.batch {
                let row = f(c, ArraySlice(UnsafeBufferPointer(start: outputs.expectations + c * o, count: o)))
                guard row.count == o, row.allSatisfy(\.isFinite) else {
                    result.upstreamError = "the upstream gradient of item \(c) has \(row.count) value(s) \(row.prefix(4)); need \(o) finite values"
                    return nil
                }
                for k in 0..<o { g[c * o + k] = row[k] }
            }
            return g
        }
    }

    private func seedAdjoint(_ densities: [[Double]?], _ upstream: [Double], into result: inout RunResult) {
        let b = plan.batch, o = plan.outputs
        let diagonal = plan.diagonalTerms
        if !diagonal.isEmpty {
            var w = [Double](repeating: 0, count: diagonal.count * b)
            for (t, term) in diagonal.enumerated() { for c in 0..<b { w[t * b + c] = upstream[c * o + term.output] } }
            w.withUnsafeBufferPointer { wp in
                parallelFor(parts) { diagonalAccumulate(lam, phi, diagonal, weights: wp.baseAddress!, layout.part($0, of: parts)) }
            }
        }
        for (k, obs) in plan.observables.enumerated() {
            var w = [Double](repeating: 0, count: b)
            for c in 0..<plan.batch { w[c] = upstream[c * o + k] }
            w.withUnsafeBufferPointer { wp in
                let weights = wp.baseAddress!
                switch obs {
                case .pauli(let terms):
                    for t in terms where diagonal.isEmpty || !t.factors.allSatisfy({ $0.pauli == .z }) {
                        if t.factors.count == 1, t.factors[0].pauli == .z {
                            let w = t.factors[0].wire
                            let pattern = BitPattern(qubits: plan.qubits, targets: [w], controls: [])
                            let partner = (1 << (plan.qubits - 1 - w)) * b
                            parallelFor(parts) {
                                singleZAccumulate(lam, phi, coefficient: t.coefficient, weights: weights, layout.part($0, of: parts), pattern, partner: partner)
                            }
                        } else {
                            let p = t.pattern(qubits: plan.qubits)
                            parallelFor(parts) { pauliAccumulate(lam, phi, p, coefficient: t.coefficient, weights: weights, layout.part($0, of: parts)) }
                        }
                    }
                default:
                    let m = plan.matrices[k]!
                    let pattern = BitPattern(qubits: plan.qubits, targets: obs.wires, controls: [])
                    let offsets = blockOffsets(qubits: plan.qubits, wires: obs.wires, batch: b)
                    parallelFor(parts) { matrixAccumulate(lam, phi, m, weights: weights, layout.part($0, of: parts), pattern, offsets: offsets) }
                }
            }
            if case .trainableHermitian(let wires, let offset) = obs, let r = densities[k] {
                // E = Re Σ_ab A[a,b]·ρ[b,a]: ∂E/∂Re A[a,b] = Re ρ[b,a], ∂E/∂Im A[a,b] = −Im ρ[b,a].
                let d = 1 << wires.count
                for a in 0..<d { for bb in 0..<d {
                    let (lo, hi) = (min(a, bb), max(a, bb))
                    var sr = 0.0, si = 0.0
                    for c in 0..<plan.batch {
                        sr += w[c] * r[2 * (lo * d + hi) * b + c]
                        si += w[c] * r[(2 * (lo * d + hi) + 1) * b + c]
                    }
                    let imRhoBA = bb <= a ? si : -si
                    result.observableGradient[offset + 2 * (a * d + bb)] += sr
                    result.observableGradient[offset + 2 * (a * d + bb) + 1] -= imRhoBA
                } }
            }
        }
    }

    private func backward(into result: inout RunResult) {
        let layout = self.layout, parts = self.parts, phi = self.phi, lam = self.lam, b = plan.batch
        let perSampleAngles = ops.contains { !$0.columnDerivatives.isEmpty }
        guard plan.targets.contains(.trainable) || (plan.targets.contains(.inputs) && perSampleAngles) else {
            // No gate parameter is differentiated: carry λ back alone, φ is never needed.
            for op in ops.reversed() { apply(op, to: lam, inverse: true) }
            return
        }
        for op in ops.reversed() {
            guard op.hasDerivatives else {
                unapply(op)
                continue
            }
            switch op.kind {
            case .dense1(_, let inv):
                let pattern = op.pattern, partner = op.partner
                let t = sumParts(parts, zero: Transition2.zero, +) {
                    adjointStepDense1(phi, lam, inv, layout.part($0, of: parts), pattern, partner: partner)
                }
                for (slot, d) in op.sharedDerivatives { result.trainableGradient[slot] += 2 * t.contract(d) }
            case .perColumn1(_, let inv):
                apply(op, to: phi, inverse: true)
                let pattern = op.pattern, partner = op.partner
                let t = reduceParts(parts, size: 8 * b) { pt, buf in
                    transitionDense1PerColumn(phi, lam, layout.part(pt, of: parts), pattern, partner: partner, out: buf)
                }
                for (parameter, matrices) in op.columnDerivatives {
                    for c in 0..<plan.batch {
                        let tc = Transition2(values: (t[c], t[b + c], t[2 * b + c], t[3 * b + c], t[4 * b + c], t[5 * b + c], t[6 * b + c], t[7 * b + c]))
                        let g = 2 * tc.contract(matrices[c])
                        switch parameter {
                        case .input(let f): outputs.inputGradient[c * plan.features + f] += g
                        case .trainable(let s): result.trainableGradient[s] += g
                        case .constant: break
                        }
                    }
                }
                parallelFor(parts) { applyDense1PerColumn(lam, inv, layout.part($0, of: parts), pattern, partner: partner) }
            default:
                unapply(op)
            }
        }
    }

    /// φ ← U†φ and λ ← U†λ; permutations (X, CNOT, Toffoli) do both states in one parallel region.
    private func unapply(_ op: CompiledOp) {
        if case .swapPartners = op.kind, op.lowWire == nil || layout.batch > 1 {
            let (layout, pattern, partner, parts, phi, lam) = (self.layout, op.pattern, op.partner, self.parts, self.phi, self.lam)
            parallelFor(parts) {
                applySwapPartners(phi, layout.part($0, of: parts), pattern, partner: partner)
                applySwapPartners(lam, layout.part($0, of: parts), pattern, partner: partner)
            }
        } else {
            apply(op, to: phi, inverse: true)
            apply(op, to: lam, inverse: true)
        }
    }

    /// After the sweep λ = ∂E/∂ψ̄ at the prepared state; the chain rule through ψ = v/‖v‖ gives
    /// ∂E/∂v = (g − ψ(ψ·g))/‖v‖ with g = 2·Re λ (real inputs).
    private func inputGradient(_ inverseNorms: [Double]) {
        guard case .amplitude(let feats, let wires, let pad)? = plan.preparation else { return }
        let b = plan.batch, f = plan.features
        let offsets = blockOffsets(qubits: plan.qubits, wires: wires, batch: b)
        // ψ_j = v_j/‖v‖, recomputed from the inputs (the λ-only sweep leaves φ at the final state)
        var dots = [Double](repeating: 0, count: b)
        for (j, o) in offsets.enumerated() {
            if j < feats.count {
                let k = feats.lowerBound + j
                for c in 0..<b { dots[c] += plan.inputs[c * f + k] * inverseNorms[c] * 2 * lam.re[o + c] }
            } else {
                for c in 0..<b { dots[c] += pad * inverseNorms[c] * 2 * lam.re[o + c] }
            }
        }
        for (j, k) in feats.enumerated() {
            let o = offsets[j]
            for c in 0..<b {
                let psi = plan.inputs[c * f + k] * inverseNorms[c]
                outputs.inputGradient[c * f + k] += (2 * lam.re[o + c] - psi * dots[c]) * inverseNorms[c]
            }
        }
    }
}
