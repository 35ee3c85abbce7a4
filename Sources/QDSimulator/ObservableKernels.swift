/// Kernels that measure observables per column and apply them for the adjoint sweep.
///
/// Per-column results go to `out[k·B + c]` for quantity k of column c. Every run of
/// ``RunIterator`` covers whole amplitudes, so the loops walk amplitude blocks of B columns.

/// The phase factor of a Pauli string P = ⊗σ: P|y⟩ = i^{nY}·(−1)^{popcount(y & signMask)}·|y ⊕ flipMask⟩,
/// where flipMask marks X and Y wires and signMask marks Y and Z wires (as amplitude bits).
struct PauliPattern {
    let flipMask: Int
    let signMask: Int
    let yCount: Int

    /// The real and imaginary parts of i^{nY}·s for a sign s = ±1.
    @inline(__always) func phase(_ y: Int) -> (Double, Double) {
        let s: Double = (y & signMask).nonzeroBitCount & 1 == 0 ? 1 : -1
        switch yCount & 3 {
        case 0: return (s, 0)
        case 1: return (0, s)
        case 2: return (-s, 0)
        default: return (0, -s)
        }
    }
}

/// A Z-only Pauli term of observable `output`: it scores amplitude a with
/// coefficient · (−1)^{popcount(a & signMask)}.
struct DiagonalTerm {
    let output: Int
    let coefficient: Double
    let signMask: Int

    @inline(__always) func value(_ a: Int) -> Double { (a & signMask).nonzeroBitCount & 1 == 0 ? coefficient : -coefficient }
}

/// out[t·B + c] += coefficient_t · Σ_a (−1)^{popcount(a & mask_t)}·|φ_a[c]|² for every term t, in
/// one pass: |φ_a|² is computed once per amplitude and shared by all terms.
func diagonalExpectations(_ s: StatePointers, _ terms: [DiagonalTerm], _ layout: RunLayout, out: UnsafeMutablePointer<Double>) {
    let b = layout.batch
    withUnsafeTemporaryAllocation(of: Double.self, capacity: b) { p in
        for a in amplitudeRange(layout) {
            let f = a * b
            for c in 0..<b { p[c] = s.re[f + c] * s.re[f + c] + s.im[f + c] * s.im[f + c] }
            for (t, term) in terms.enumerated() {
                let v = term.value(a), o = out + t * b
                for c in 0..<b { o[c] += v * p[c] }
            }
        }
    }
}

/// λ_a[c] += D_c(a)·φ_a[c] with D_c(a) = Σ_t weights[t·B + c]·coefficient_t·(−1)^{popcount(a & mask_t)}:
/// every Z-only term's adjoint seed in one pass.
func diagonalAccumulate(_ lam: StatePointers, _ phi: StatePointers, _ terms: [DiagonalTerm], weights: UnsafePointer<Double>,
                        _ layout: RunLayout) {
    let b = layout.batch
    withUnsafeTemporaryAllocation(of: Double.self, capacity: b) { d in
        for a in amplitudeRange(layout) {
            for c in 0..<b { d[c] = 0 }
            for (t, term) in terms.enumerated() {
                let v = term.value(a), w = weights + t * b
                for c in 0..<b { d[c] += v * w[c] }
            }
            let f = a * b
            for c in 0..<b { lam.re[f + c] += d[c] * phi.re[f + c]; lam.im[f + c] += d[c] * phi.im[f + c] }
        }
    }
}

/// Amplitude range of part `layout.part` of `layout.parts`.
@inline(__always) private func amplitudeRange(_ layout: RunLayout) -> Range<Int> {
    let d = layout.dimension
    return (d * layout.part / layout.parts)..<(d * (layout.part + 1) / layout.parts)
}

/// out[c] += coefficient · ⟨φ_c|Z_w|φ_c⟩ = coefficient · (Σ_{bit w = 0} |φ|² − Σ_{bit w = 1} |φ|²),
/// streaming over the same runs as a one-qubit gate on w.
func singleZExpectation(_ s: StatePointers, coefficient: Double, _ layout: RunLayout, _ pattern: BitPattern, partner: Int,
                        out: UnsafeMutablePointer<Double>) {
    let b = layout.batch
    var runs = RunIterator(layout, pattern)
    while let (start, count) = runs.next() {
        let r0 = s.re + start, i0 = s.im + start, r1 = r0 + partner, i1 = i0 + partner
        if b == 1 {
            var acc = SIMD4<Double>()
            var j = 0
            while j + 4 <= count {
                let a = load4(r0 + j), bb = load4(i0 + j), c = load4(r1 + j), d = load4(i1 + j)
                acc += a * a + bb * bb - c * c - d * d
                j += 4
            }
            var sum = acc.sum()
            while j < count { sum += r0[j] * r0[j] + i0[j] * i0[j] - r1[j] * r1[j] - i1[j] * i1[j]; j += 1 }
            out[0] += coefficient * sum
        } else {
            for a in stride(from: 0, to: count, by: b) {
                for c in 0..<b {
                    let j = a + c
                    out[c] += coefficient * (r0[j] * r0[j] + i0[j] * i0[j] - r1[j] * r1[j] - i1[j] * i1[j])
                }
            }
        }
    }
}

/// λ_c += weight[c]·coefficient·Z_w·φ_c: +φ where bit w is 0, −φ where it is 1.
func singleZAccumulate(_ lam: StatePointers, _ phi: StatePointers, coefficient: Double, weights: UnsafePointer<Double>,
                       _ layout: RunLayout, _ pattern: BitPattern, partner: Int) {
    let b = layout.batch
    var runs = RunIterator(layout, pattern)
    while let (start, count) = runs.next() {
        for a in stride(from: start, to: start + count, by: b) {
            let f0 = a, f1 = a + partner
            for c in 0..<b {
                let g = coefficient * weights[c]
                lam.re[f0 + c] += g * phi.re[f0 + c]; lam.im[f0 + c] += g * phi.im[f0 + c]
                lam.re[f1 + c] -= g * phi.re[f1 + c]; lam.im[f1 + c] -= g * phi.im[f1 + c]
            }
        }
    }
}

/// out[c] += coefficient · ⟨φ_c|P|φ_c⟩ for each column c.
func pauliExpectation(_ s: StatePointers, _ p: PauliPattern, coefficient: Double, _ layout: RunLayout, out: UnsafeMutablePointer<Double>) {
    let b = layout.batch
    for a in amplitudeRange(layout) {
        let y = a ^ p.flipMask
        let (pr, pi) = p.phase(y)
        let fa = a * b, fy = y * b
        for c in 0..<b {
            // conj(φ_a)·φ_y = (ar·yr + ai·yi) + i(ar·yi − ai·yr)
            let ar = s.re[fa + c], ai = s.im[fa + c], yr = s.re[fy + c], yi = s.im[fy + c]
            let zr = ar * yr + ai * yi, zi = ar * yi - ai * yr
            out[c] += coefficient * (pr * zr - pi * zi)
        }
    }
}

/// λ_c += weight[c]·coefficient·P·φ_c for each column c.
func pauliAccumulate(_ lam: StatePointers, _ phi: StatePointers, _ p: PauliPattern, coefficient: Double,
                     weights: UnsafePointer<Double>, _ layout: RunLayout) {
    let b = layout.batch
    for a in amplitudeRange(layout) {
        let y = a ^ p.flipMask
        let (pr, pi) = p.phase(y)
        let fa = a * b, fy = y * b
        for c in 0..<b {
            let g = coefficient * weights[c]
            let yr = phi.re[fy + c], yi = phi.im[fy + c]
            lam.re[fa + c] += g * (pr * yr - pi * yi)
            lam.im[fa + c] += g * (pr * yi + pi * yr)
        }
    }
}

/// Reduced density matrix on a k-wire block, per column: ρ_c[x,y] = Σ φ_x·conj(φ_y), upper
/// triangle only. Entry (x, y) accumulates its real part at `out[2(x·d + y)·B + c]` and its
/// imaginary part at `out[(2(x·d + y) + 1)·B + c]`; d = 2^k.
func reducedDensity(_ s: StatePointers, _ layout: RunLayout, _ pattern: BitPattern, offsets: [Int], out: UnsafeMutablePointer<Double>) {
    let d = offsets.count, b = layout.batch
    if d == 2 { return reducedDensity1(s, layout, pattern, partner: offsets[1], out: out) }
    var runs = RunIterator(layout, pattern)
    while let (start, count) = runs.next() {
        for a in stride(from: start, to: start + count, by: b) {
            for x in 0..<d { for y in x..<d {
                let xr = s.re + a + offsets[x], xi = s.im + a + offsets[x]
                let yr = s.re + a + offsets[y], yi = s.im + a + offsets[y]
                let oRe = out + 2 * (x * d + y) * b, oIm = oRe + b
                for c in 0..<b {
                    oRe[c] += xr[c] * yr[c] + xi[c] * yi[c]
                    oIm[c] += xi[c] * yr[c] - xr[c] * yi[c]
                }
            } }
        }
    }
}

/// ``reducedDensity(_:_:_:offsets:out:)`` for one wire: ρ00, ρ01 (complex) and ρ11 per column.
private func reducedDensity1(_ s: StatePointers, _ layout: RunLayout, _ pattern: BitPattern, partner: Int, out: UnsafeMutablePointer<Double>) {
    let b = layout.batch
    let rho00 = out, rho01Re = out + 2 * b, rho01Im = out + 3 * b, rho11 = out + 6 * b
    var runs = RunIterator(layout, pattern)
    while let (start, count) = runs.next() {
        for a in stride(from: start, to: start + count, by: b) {
            let r0 = s.re + a, i0 = s.im + a, r1 = r0 + partner, i1 = i0 + partner
            for c in 0..<b {
                rho00[c] += r0[c] * r0[c] + i0[c] * i0[c]
                rho11[c] += r1[c] * r1[c] + i1[c] * i1[c]
                rho01Re[c] += r0[c] * r1[c] + i0[c] * i1[c]
                rho01Im[c] += i0[c] * r1[c] - r0[c] * i1[c]
            }
        }
    }
}

/// λ_c += weight[c]·(M ⊗ I)·φ_c for a k-wire matrix M.
func matrixAccumulate(_ lam: StatePointers, _ phi: StatePointers, _ m: ComplexMatrix, weights: UnsafePointer<Double>,
                      _ layout: RunLayout, _ pattern: BitPattern, offsets: [Int]) {
    let d = offsets.count, b = layout.batch
    if d == 2 { return matrixAccumulate1(lam, phi, Matrix2(m), weights: weights, layout, pattern, partner: offsets[1]) }
    var runs = RunIterator(layout, pattern)
    while let (start, count) = runs.next() {
        for a in stride(from: start, to: start + count, by: b) {
            for r in 0..<d { for k in 0..<d {
                let e = m[r, k]
                if e == .zero { continue }
                let lr = lam.re + a + offsets[r], li = lam.im + a + offsets[r]
                let pr = phi.re + a + offsets[k], pi = phi.im + a + offsets[k]
                for c in 0..<b {
                    lr[c] += weights[c] * (e.re * pr[c] - e.im * pi[c])
                    li[c] += weights[c] * (e.re * pi[c] + e.im * pr[c])
                }
            } }
        }
    }
}

/// ``matrixAccumulate(_:_:_:weights:_:_:offsets:)`` for one wire.
private func matrixAccumulate1(_ lam: StatePointers, _ phi: StatePointers, _ m: Matrix2, weights: UnsafePointer<Double>,
                               _ layout: RunLayout, _ pattern: BitPattern, partner: Int) {
    let b = layout.batch
    var runs = RunIterator(layout, pattern)
    while let (start, count) = runs.next() {
        for a in stride(from: start, to: start + count, by: b) {
            let pr0 = phi.re + a, pi0 = phi.im + a, pr1 = pr0 + partner, pi1 = pi0 + partner
            let lr0 = lam.re + a, li0 = lam.im + a, lr1 = lr0 + partner, li1 = li0 + partner
            for c in 0..<b {
                let g = weights[c], ar = pr0[c], ai = pi0[c], br = pr1[c], bi = pi1[c]
                lr0[c] += g * (m.r00 * ar - m.i00 * ai + m.r01 * br - m.i01 * bi)
                li0[c] += g * (m.r00 * ai + m.i00 * ar + m.r01 * bi + m.i01 * br)
                lr1[c] += g * (m.r10 * ar - m.i10 * ai + m.r11 * br - m.i11 * bi)
                li1[c] += g * (m.r10 * ai + m.i10 * ar + m.r11 * bi + m.i11 * br)
            }
        }
    }
}
