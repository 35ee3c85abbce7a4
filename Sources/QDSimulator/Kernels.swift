/// Raw pointers to one state's real and imaginary arrays (flat index = amplitude·B + column).
struct StatePointers {
    let re: UnsafeMutablePointer<Double>
    let im: UnsafeMutablePointer<Double>
}

/// Four doubles from `p` (no alignment needed).
@inline(__always) func load4(_ p: UnsafeMutablePointer<Double>) -> SIMD4<Double> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
}

/// Stores four doubles at `p` (no alignment needed).
@inline(__always) func store4(_ v: SIMD4<Double>, _ p: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Double>.self)
}

/// (ψ₀, ψ₁) ← M·(ψ₀, ψ₁) on every pair of `pattern`, where ψ₁ sits `partner` flat entries after ψ₀.
@inline(__always)
func applyDense1(_ s: StatePointers, _ m: Matrix2, _ layout: RunLayout, _ pattern: BitPattern, partner: Int) {
    var runs = RunIterator(layout, pattern)
    while let (start, count) = runs.next() {
        let r0 = s.re + start, i0 = s.im + start, r1 = r0 + partner, i1 = i0 + partner
        var j = 0
        if m.isReal {
            // real M (RY, H, fused real products): half the multiplications
            while j + 4 <= count {
                let ar = load4(r0 + j), ai = load4(i0 + j), br = load4(r1 + j), bi = load4(i1 + j)
                store4(m.r00 * ar + m.r01 * br, r0 + j)
                store4(m.r00 * ai + m.r01 * bi, i0 + j)
                store4(m.r10 * ar + m.r11 * br, r1 + j)
                store4(m.r10 * ai + m.r11 * bi, i1 + j)
                j += 4
            }
        }
        while j + 4 <= count {
            let ar = load4(r0 + j), ai = load4(i0 + j), br = load4(r1 + j), bi = load4(i1 + j)
            store4(m.r00 * ar - m.i00 * ai + m.r01 * br - m.i01 * bi, r0 + j)
            store4(m.r00 * ai + m.i00 * ar + m.r01 * bi + m.i01 * br, i0 + j)
            store4(m.r10 * ar - m.i10 * ai + m.r11 * br - m.i11 * bi, r1 + j)
            store4(m.r10 * ai + m.i10 * ar + m.r11 * bi + m.i11 * br, i1 + j)
            j += 4
        }
        while j < count {
            let ar = r0[j], ai = i0[j], br = r1[j], bi = i1[j]
            r0[j] = m.r00 * ar - m.i00 * ai + m.r01 * br - m.i01 * bi
            i0[j] = m.r00 * ai + m.i00 * ar + m.r01 * bi + m.i01 * br
            r1[j] = m.r10 * ar - m.i10 * ai + m.r11 * br - m.i11 * bi
            i1[j] = m.r10 * ai + m.i10 * ar + m.r11 * bi + m.i11 * br
            j += 1
        }
    }
}

/// ψ₀ ← d₀ψ₀, ψ₁ ← d₁ψ₁ for a diagonal one-qubit matrix; a factor of exactly 1 is skipped.
@inline(__always)
func applyDiagonal1(_ s: StatePointers, _ m: Matrix2, _ layout: RunLayout, _ pattern: BitPattern, partner: Int) {
    let skip0 = m.r00 == 1 && m.i00 == 0
    var runs = RunIterator(layout, pattern)
    while let (start, count) = runs.next() {
        if !skip0 { scaleRun(s.re + start, s.im + start, count, m.r00, m.i00) }
        scaleRun(s.re + start + partner, s.im + start + partner, count, m.r11, m.i11)
    }
}

@inline(__always)
private func scaleRun(_ r: UnsafeMutablePointer<Double>, _ i: UnsafeMutablePointer<Double>, _ count: Int, _ dr: Double, _ di: Double) {
    if di == 0 {
        for j in 0..<count { r[j] *= dr; i[j] *= dr }
    } else {
        for j in 0..<count {
            let a = r[j], b = i[j]
            r[j] = dr * a - di * b
            i[j] = dr * b + di * a
        }
    }
}

/// ψ₀ ↔ ψ₁: Pauli X, and with controls CNOT and Toffoli.
@inline(__always)
func applySwapPartners(_ s: StatePointers, _ layout: RunLayout, _ pattern: BitPattern, partner: Int) {
    var runs = RunIterator(layout, pattern)
    while let (start, count) = runs.next() {
        let r0 = s.re + start, i0 = s.im + start, r1 = r0 + partner, i1 = i0 + partner
        for j in 0..<count {
            let ar = r0[j], ai = i0[j]
            r0[j] = r1[j]; i0[j] = i1[j]
            r1[j] = ar; i1[j] = ai
        }
    }
}

/// ψ ← M·ψ on k target wires for a dense 2^k × 2^k matrix; `offsets[x]` is the flat offset of
/// target sub-index x from the base.
func applyDenseK(_ s: StatePointers, _ m: ComplexMatrix, _ layout: RunLayout, _ pattern: BitPattern, offsets: [Int]) {
    let d = offsets.count
    let mr = m.entries.map(\.re), mi = m.entries.map(\.im)
    withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * d) { tmp in
        var runs = RunIterator(layout, pattern)
        while let (start, count) = runs.next() {
            for j in 0..<count {
                for x in 0..<d { tmp[x] = s.re[start + offsets[x] + j]; tmp[d + x] = s.im[start + offsets[x] + j] }
                for r in 0..<d {
                    var accR = 0.0, accI = 0.0
                    for c in 0..<d {
                        let er = mr[r * d + c], ei = mi[r * d + c]
                        accR += er * tmp[c] - ei * tmp[d + c]
                        accI += er * tmp[d + c] + ei * tmp[c]
                    }
                    s.re[start + offsets[r] + j] = accR
                    s.im[start + offsets[r] + j] = accI
                }
            }
        }
    }
}

/// Per-column one-qubit matrices (struct of arrays, one entry per column): ψ₀, ψ₁ of column c ← M_c·(ψ₀, ψ₁).
struct ColumnMatrices2 {
    var r00, i00, r01, i01, r10, i10, r11, i11: [Double]

    init(columns: Int) {
        let z = [Double](repeating: 0, count: columns)
        (r00, i00, r01, i01, r10, i10, r11, i11) = (z, z, z, z, z, z, z, z)
    }

    mutating func set(_ c: Int, _ m: Matrix2) {
        (r00[c], i00[c], r01[c], i01[c]) = (m.r00, m.i00, m.r01, m.i01)
        (r10[c], i10[c], r11[c], i11[c]) = (m.r10, m.i10, m.r11, m.i11)
    }
}

/// Applies column c's matrix to column c of every pair.
func applyDense1PerColumn(_ s: StatePointers, _ m: ColumnMatrices2, _ layout: RunLayout, _ pattern: BitPattern, partner: Int) {
    let b = layout.batch
    var runs = RunIterator(layout, pattern)
    while let (start, count) = runs.next() {
        for a in stride(from: start, to: start + count, by: b) {
            let r0 = s.re + a, i0 = s.im + a, r1 = r0 + partner, i1 = i0 + partner
            for c in 0..<b {
                let ar = r0[c], ai = i0[c], br = r1[c], bi = i1[c]
                r0[c] = m.r00[c] * ar - m.i00[c] * ai + m.r01[c] * br - m.i01[c] * bi
                i0[c] = m.r00[c] * ai + m.i00[c] * ar + m.r01[c] * bi + m.i01[c] * br
                r1[c] = m.r10[c] * ar - m.i10[c] * ai + m.r11[c] * br - m.i11[c] * bi
                i1[c] = m.r10[c] * ai + m.i10[c] * ar + m.r11[c] * bi + m.i11[c] * br
            }
        }
    }
}
