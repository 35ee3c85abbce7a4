/// Kernels that measure observables per column and apply them for the adjoint sweep.

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
        } else if count >= b {
            // whole amplitudes: flat index start + a·B + c is column c
            for a in stride(from: 0, to: count, by: b) {
                for c in 0..<b {
                    let j = a + c
                    out[c] += coefficient * (r0[j] * r0[j] + i0[j] * i0[j] - r1[j] * r1[j] - i1[j] * i1[j])
                }
            }
        } else {
            let c0 = start % b
            for j in 0..<count {
                out[c0 + j] += coefficient * (r0[j] * r0[j] + i0[j] * i0[j] - r1[j] * r1[j] - i1[j] * i1[j])
            }
        }
    }
}

/// out[c] += coefficient · ⟨φ_c|P|φ_c⟩ for each column c of the layout.
func pauliExpectation(_ s: StatePointers, _ p: PauliPattern, coefficient: Double, _ layout: RunLayout, out: UnsafeMutablePointer<Double>) {
    let b = layout.batch, c0 = layout.columns.lowerBound, w = layout.columns.count
    for a in amplitudeRange(layout) {
        let y = a ^ p.flipMask
        let (pr, pi) = p.phase(y)
        let fa = a * b + c0, fy = y * b + c0
        for j in 0..<w {
            // conj(φ_a)·φ_y = (ar·yr + ai·yi) + i(ar·yi − ai·yr)
            let ar = s.re[fa + j], ai = s.im[fa + j], yr = s.re[fy + j], yi = s.im[fy + j]
            let zr = ar * yr + ai * yi, zi = ar * yi - ai * yr
            out[c0 + j] += coefficient * (pr * zr - pi * zi)
        }
    }
}

/// λ_c += weight[c]·coefficient·P·φ_c for each column c.
func pauliAccumulate(_ lam: StatePointers, _ phi: StatePointers, _ p: PauliPattern, coefficient: Double,
                     weights: UnsafePointer<Double>, _ layout: RunLayout) {
    let b = layout.batch, c0 = layout.columns.lowerBound, w = layout.columns.count
    for a in amplitudeRange(layout) {
        let y = a ^ p.flipMask
        let (pr, pi) = p.phase(y)
        let fa = a * b + c0, fy = y * b + c0
        for j in 0..<w {
            let g = coefficient * weights[c0 + j]
            let yr = phi.re[fy + j], yi = phi.im[fy + j]
            lam.re[fa + j] += g * (pr * yr - pi * yi)
            lam.im[fa + j] += g * (pr * yi + pi * yr)
        }
    }
}

/// Reduced density matrix on a k-wire block, per column: ρ_c[x,y] = Σ φ_x·conj(φ_y).
/// `out[(2(x·d + y) + part)·B + c]` accumulates (re, im); d = 2^k.
func reducedDensity(_ s: StatePointers, _ layout: RunLayout, _ pattern: BitPattern, offsets: [Int], out: UnsafeMutablePointer<Double>) {
    let d = offsets.count, b = layout.batch
    forEachColumnRun(layout, pattern) { start, c0, width in
        for x in 0..<d { for y in x..<d {
            let xr = s.re + start + offsets[x], xi = s.im + start + offsets[x]
            let yr = s.re + start + offsets[y], yi = s.im + start + offsets[y]
            let oRe = out + 2 * (x * d + y) * b + c0, oIm = oRe + b
            for j in 0..<width {
                oRe[j] += xr[j] * yr[j] + xi[j] * yi[j]
                oIm[j] += xi[j] * yr[j] - xr[j] * yi[j]
            }
        } }
    }
}

/// λ_c += weight[c]·(M ⊗ I)·φ_c for a k-wire matrix M.
func matrixAccumulate(_ lam: StatePointers, _ phi: StatePointers, _ m: ComplexMatrix, weights: UnsafePointer<Double>,
                      _ layout: RunLayout, _ pattern: BitPattern, offsets: [Int]) {
    let d = offsets.count
    forEachColumnRun(layout, pattern) { start, c0, width in
        for r in 0..<d { for c in 0..<d {
            let e = m[r, c]
            if e == .zero { continue }
            let lr = lam.re + start + offsets[r], li = lam.im + start + offsets[r]
            let pr = phi.re + start + offsets[c], pi = phi.im + start + offsets[c]
            for j in 0..<width {
                let g = weights[c0 + j]
                lr[j] += g * (e.re * pr[j] - e.im * pi[j])
                li[j] += g * (e.re * pi[j] + e.im * pr[j])
            }
        } }
    }
}
