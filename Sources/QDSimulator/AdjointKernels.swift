/// Kernels of the adjoint backward sweep.
///
/// Going backward through gate U, the sweep holds φ (the state after U) and λ (the adjoint
/// state after U). It sets φ ← U†φ and λ ← U†λ, and for every parameter θ of U accumulates
/// ∂E/∂θ = 2·Re⟨λ|∂U/∂θ|φ⟩ (φ before U, λ after U). Writing T[a,b] = Σ conj(λ_a)·φ_b over the
/// gate's pairs, ⟨λ|D|φ⟩ = Σ_ab D[a,b]·T[a,b], so one pass serves every parameter of the gate.

/// One fused pass for a one-qubit gate: φ ← M†φ, then T += conj(λ)⊗φ, then λ ← M†λ.
/// Returns T. The reductions run in SIMD accumulators (the compiler will not reassociate them).
func adjointStepDense1(_ phi: StatePointers, _ lam: StatePointers, _ inverse: Matrix2,
                       _ layout: RunLayout, _ pattern: BitPattern, partner: Int) -> Transition2 {
    let m = inverse
    typealias V = SIMD4<Double>
    var t00r = V(), t00i = V(), t01r = V(), t01i = V(), t10r = V(), t10i = V(), t11r = V(), t11i = V()
    var s00r = 0.0, s00i = 0.0, s01r = 0.0, s01i = 0.0, s10r = 0.0, s10i = 0.0, s11r = 0.0, s11i = 0.0
    var runs = RunIterator(layout, pattern)
    while let (start, count) = runs.next() {
        let pr0 = phi.re + start, pi0 = phi.im + start, pr1 = pr0 + partner, pi1 = pi0 + partner
        let lr0 = lam.re + start, li0 = lam.im + start, lr1 = lr0 + partner, li1 = li0 + partner
        var j = 0
        while j + 4 <= count {
            var ar = load4(pr0 + j), ai = load4(pi0 + j), br = load4(pr1 + j), bi = load4(pi1 + j)
            let ur = m.r00 * ar - m.i00 * ai + m.r01 * br - m.i01 * bi
            let ui = m.r00 * ai + m.i00 * ar + m.r01 * bi + m.i01 * br
            let vr = m.r10 * ar - m.i10 * ai + m.r11 * br - m.i11 * bi
            let vi = m.r10 * ai + m.i10 * ar + m.r11 * bi + m.i11 * br
            store4(ur, pr0 + j); store4(ui, pi0 + j); store4(vr, pr1 + j); store4(vi, pi1 + j)
            ar = load4(lr0 + j); ai = load4(li0 + j); br = load4(lr1 + j); bi = load4(li1 + j)
            t00r += ar * ur + ai * ui; t00i += ar * ui - ai * ur
            t01r += ar * vr + ai * vi; t01i += ar * vi - ai * vr
            t10r += br * ur + bi * ui; t10i += br * ui - bi * ur
            t11r += br * vr + bi * vi; t11i += br * vi - bi * vr
            store4(m.r00 * ar - m.i00 * ai + m.r01 * br - m.i01 * bi, lr0 + j)
            store4(m.r00 * ai + m.i00 * ar + m.r01 * bi + m.i01 * br, li0 + j)
            store4(m.r10 * ar - m.i10 * ai + m.r11 * br - m.i11 * bi, lr1 + j)
            store4(m.r10 * ai + m.i10 * ar + m.r11 * bi + m.i11 * br, li1 + j)
            j += 4
        }
        while j < count {
            var ar = pr0[j], ai = pi0[j], br = pr1[j], bi = pi1[j]
            let ur = m.r00 * ar - m.i00 * ai + m.r01 * br - m.i01 * bi
            let ui = m.r00 * ai + m.i00 * ar + m.r01 * bi + m.i01 * br
            let vr = m.r10 * ar - m.i10 * ai + m.r11 * br - m.i11 * bi
            let vi = m.r10 * ai + m.i10 * ar + m.r11 * bi + m.i11 * br
            pr0[j] = ur; pi0[j] = ui; pr1[j] = vr; pi1[j] = vi
            ar = lr0[j]; ai = li0[j]; br = lr1[j]; bi = li1[j]
            s00r += ar * ur + ai * ui; s00i += ar * ui - ai * ur
            s01r += ar * vr + ai * vi; s01i += ar * vi - ai * vr
            s10r += br * ur + bi * ui; s10i += br * ui - bi * ur
            s11r += br * vr + bi * vi; s11i += br * vi - bi * vr
            lr0[j] = m.r00 * ar - m.i00 * ai + m.r01 * br - m.i01 * bi
            li0[j] = m.r00 * ai + m.i00 * ar + m.r01 * bi + m.i01 * br
            lr1[j] = m.r10 * ar - m.i10 * ai + m.r11 * br - m.i11 * bi
            li1[j] = m.r10 * ai + m.i10 * ar + m.r11 * bi + m.i11 * br
            j += 1
        }
    }
    return Transition2(values: (s00r + t00r.sum(), s00i + t00i.sum(), s01r + t01r.sum(), s01i + t01i.sum(),
                                s10r + t10r.sum(), s10i + t10i.sum(), s11r + t11r.sum(), s11i + t11i.sum()))
}

/// Per-column T for a one-qubit gate: `out[k·B + c]` accumulates entry k (of the 8 in
/// ``Transition2``'s order) for column c.
func transitionDense1PerColumn(_ phi: StatePointers, _ lam: StatePointers, _ layout: RunLayout, _ pattern: BitPattern,
                               partner: Int, out: UnsafeMutablePointer<Double>) {
    let b = layout.batch
    var runs = RunIterator(layout, pattern)
    while let (start, count) = runs.next() {
        for f0 in stride(from: start, to: start + count, by: b) {
            for c in 0..<b {
                let f = f0 + c
                let ur = phi.re[f], ui = phi.im[f], vr = phi.re[f + partner], vi = phi.im[f + partner]
                let ar = lam.re[f], ai = lam.im[f], br = lam.re[f + partner], bi = lam.im[f + partner]
                out[c] += ar * ur + ai * ui; out[b + c] += ar * ui - ai * ur
                out[2 * b + c] += ar * vr + ai * vi; out[3 * b + c] += ar * vi - ai * vr
                out[4 * b + c] += br * ur + bi * ui; out[5 * b + c] += br * ui - bi * ur
                out[6 * b + c] += br * vr + bi * vi; out[7 * b + c] += br * vi - bi * vr
            }
        }
    }
}

/// T[a,b] = Σ conj(λ_a)·φ_b of a one-qubit gate, as (T00, T01, T10, T11) with real and imaginary parts.
struct Transition2 {
    var values: (Double, Double, Double, Double, Double, Double, Double, Double)

    static let zero = Transition2(values: (0, 0, 0, 0, 0, 0, 0, 0))

    static func + (a: Transition2, b: Transition2) -> Transition2 {
        let (x, y) = (a.values, b.values)
        return Transition2(values: (x.0 + y.0, x.1 + y.1, x.2 + y.2, x.3 + y.3, x.4 + y.4, x.5 + y.5, x.6 + y.6, x.7 + y.7))
    }

    /// Re⟨λ|D|φ⟩ = Re Σ_ab D[a,b]·T[a,b].
    func contract(_ d: Matrix2) -> Double {
        let t = values
        return d.r00 * t.0 - d.i00 * t.1 + d.r01 * t.2 - d.i01 * t.3
            + d.r10 * t.4 - d.i10 * t.5 + d.r11 * t.6 - d.i11 * t.7
    }
}
