/// A max-pooling window over [N, C, H, W]: its geometry, and whether each maximum is also
/// compared with 0 (pooling fused with the ReLU after it).
struct PoolWindow {
    let g: (n: Int, c: Int, h: Int, w: Int, oh: Int, ow: Int)
    let kernel: Int, stride: Int, padding: Int
    let rectified: Bool
}

/// Where max pooling routes gradients: the flat input index of each window's argmax, or −1 for a
/// window whose rectified maximum was the 0. Found once, without gradient, and shared by the
/// pooling's backward (a scatter to these cells) and that scatter's backward (a gather from them).
final class PoolRouting: Sendable {
    let argmax: [Int32]
    let inputShape: [Int]
    /// Windows never share a cell (stride ≥ kernel), so each input cell receives at most one value.
    let disjoint: Bool
    /// The windows are 2×2 with stride 2 and no padding: input cell (i, j) can only be the
    /// argmax of window (i/2, j/2).
    let twoByTwo: Bool

    init(argmax: [Int32], inputShape: [Int], disjoint: Bool, twoByTwo: Bool) {
        (self.argmax, self.inputShape, self.disjoint, self.twoByTwo) = (argmax, inputShape, disjoint, twoByTwo)
    }

    /// Input planes (N·C); window k of plane p routes into plane p only.
    var planes: Int { inputShape[0] * inputShape[1] }
    var inputPlane: Int { inputShape[2] * inputShape[3] }
    var outputPlane: Int { argmax.count / max(planes, 1) }
}

extension Kernels {
    /// The maxima and their flat argmax indices of every window.
    static func maxPool<S: TensorScalar>(_ x: [S], _ window: PoolWindow) -> ([S], [Int32]) {
        concrete(S.self,
                 float: { let r = maxPoolImpl(cast(x, to: Float.self), window); return (cast(r.0, to: S.self), r.1) },
                 double: { let r = maxPoolImpl(cast(x, to: Double.self), window); return (cast(r.0, to: S.self), r.1) },
                 generic: { maxPoolImpl(x, window) })
    }

    /// Zeros of the routing's input shape with grad[k] added at argmax[k].
    static func scatterToMaxima<S: TensorScalar>(_ grad: [S], _ r: PoolRouting) -> [S] {
        concrete(S.self,
                 float: { cast(scatterToMaximaImpl(cast(grad, to: Float.self), r), to: S.self) },
                 double: { cast(scatterToMaximaImpl(cast(grad, to: Double.self), r), to: S.self) },
                 generic: { scatterToMaximaImpl(grad, r) })
    }

    /// x[argmax[k]] for every window k (0 where argmax[k] is −1).
    static func gatherAtMaxima<S: TensorScalar>(_ x: [S], _ r: PoolRouting) -> [S] {
        concrete(S.self,
                 float: { cast(gatherAtMaximaImpl(cast(x, to: Float.self), r), to: S.self) },
                 double: { cast(gatherAtMaximaImpl(cast(x, to: Double.self), r), to: S.self) },
                 generic: { gatherAtMaximaImpl(x, r) })
    }
}

private func maxPoolImpl<T: TensorScalar>(_ x: [T], _ window: PoolWindow) -> ([T], [Int32]) {
    let g = window.g
    let outCount = g.n * g.c * g.oh * g.ow
    var argmax = [Int32](unsafeUninitializedCapacity: outCount) { _, n in n = outCount }
    let maxima = Kernels.filled(outCount) { (out: UnsafeMutableBufferPointer<T>) in
        x.withUnsafeBufferPointer { xp in argmax.withUnsafeMutableBufferPointer { ap in
            let (xb, ob, ab) = (xp.baseAddress!, out.baseAddress!, ap.baseAddress!)
            forEachRange(g.n * g.c, work: x.count) { planes in
                for plane in planes {
                    if window.kernel == 2 && window.stride == 2 && window.padding == 0 && T.self == Float.self && g.ow >= 4 {
                        maxPool2x2Plane(UnsafeRawPointer(xb).assumingMemoryBound(to: Float.self), plane, window,
                                        UnsafeMutableRawPointer(ob).assumingMemoryBound(to: Float.self), ab)
                    } else if window.kernel == 3 && window.stride == 2 && window.padding == 1 {
                        maxPool3x3Stride2Plane(xb, plane, window, ob, ab)
                    } else {
                        maxPoolPlane(xb, plane, window, ob, ab)
                    }
                }
            }
        } }
    }
    return (maxima, argmax)
}

/// Any window on one plane: candidates inside the image only (padding is −∞).
@inline(__always)
private func maxPoolPlane<T: TensorScalar>(_ x: UnsafePointer<T>, _ plane: Int, _ window: PoolWindow,
                                           _ out: UnsafeMutablePointer<T>, _ argmax: UnsafeMutablePointer<Int32>) {
    let g = window.g
    for oi in 0..<g.oh { for oj in 0..<g.ow { maxPoolWindow(x, plane, window, oi, oj, out, argmax) } }
}

/// Window (oi, oj) of one plane, scanned row by row: the first maximum in that order wins ties.
@inline(__always)
private func maxPoolWindow<T: TensorScalar>(_ x: UnsafePointer<T>, _ plane: Int, _ window: PoolWindow, _ oi: Int, _ oj: Int,
                                            _ out: UnsafeMutablePointer<T>, _ argmax: UnsafeMutablePointer<Int32>) {
    let g = window.g, s = window.stride, p = window.padding
    let base = plane * g.h * g.w
    let rows = max(0, oi * s - p)..<min(g.h, oi * s - p + window.kernel)
    let columns = max(0, oj * s - p)..<min(g.w, oj * s - p + window.kernel)
    var best = base + rows.lowerBound * g.w + columns.lowerBound
    var bestValue = x[best]
    for i in rows {
        let row = base + i * g.w
        for j in columns { keepFirstMaximum(x, row + j, &best, &bestValue) }
    }
    writeWindow(bestValue, at: best, (plane * g.oh + oi) * g.ow + oj, window, out, argmax)
}

/// Moves the running maximum (`best`, `bestValue`) to `cell` when x[cell] is strictly greater, so
/// the first of equal maxima is kept, or is NaN, so a window holding NaN has it as its maximum
/// (the last NaN in scan order, as PyTorch's rule `val > max || isnan(val)` picks). Selects, not
/// branches, which would mispredict on data this random.
@inline(__always)
private func keepFirstMaximum<T: TensorScalar>(_ x: UnsafePointer<T>, _ cell: Int, _ best: inout Int, _ bestValue: inout T) {
    let candidate = x[cell], better = candidate > bestValue || candidate != candidate
    best = better ? cell : best
    bestValue = better ? candidate : bestValue
}

/// Writes window k's maximum and its cell (ReLU(max) and no cell, −1, when rectified and the
/// maximum is at most 0; a NaN maximum stays NaN, as ReLU keeps it).
@inline(__always)
private func writeWindow<T: TensorScalar>(_ value: T, at cell: Int, _ k: Int, _ window: PoolWindow,
                                          _ out: UnsafeMutablePointer<T>, _ argmax: UnsafeMutablePointer<Int32>) {
    if window.rectified && value <= 0 {
        (out[k], argmax[k]) = (0, -1)
    } else {
        (out[k], argmax[k]) = (value, Int32(truncatingIfNeeded: cell))
    }
}

/// 3×3 windows with stride 2 and padding 1 (AlexCifarNet's) on one plane: windows inside the
/// image compare their nine cells in a fixed, unrolled order (rows, then columns, strictly
/// greater, as ``maxPoolWindow``, so ties go to the same cell); the windows on the edges take
/// ``maxPoolWindow``.
@inline(__always)
private func maxPool3x3Stride2Plane<T: TensorScalar>(_ x: UnsafePointer<T>, _ plane: Int, _ window: PoolWindow,
                                                     _ out: UnsafeMutablePointer<T>, _ argmax: UnsafeMutablePointer<Int32>) {
    let g = window.g, w = g.w, base = plane * g.h * w
    // window (oi, oj) covers rows 2·oi − 1 ... 2·oi + 1 and the same columns: inside for 1 ≤ o ≤ (n − 2)/2
    let inner = { (n: Int, outputs: Int) in 1..<max(1, min(outputs, (n - 2) / 2 + 1)) }
    let (innerRows, innerColumns) = (inner(g.h, g.oh), inner(w, g.ow))
    for oi in 0..<g.oh {
        guard innerRows.contains(oi) else {
            for oj in 0..<g.ow { maxPoolWindow(x, plane, window, oi, oj, out, argmax) }
            continue
        }
        for oj in 0..<g.ow where !innerColumns.contains(oj) { maxPoolWindow(x, plane, window, oi, oj, out, argmax) }
        for oj in innerColumns {
            let top = base + (2 * oi - 1) * w + 2 * oj - 1
            var best = top, bestValue = x[top]
            // cells 1 ..< 9 of the window in row-major order (a constant trip count, unrolled)
            for cell in 1..<9 { keepFirstMaximum(x, top + (cell / 3) * w + cell % 3, &best, &bestValue) }
            writeWindow(bestValue, at: best, (plane * g.oh + oi) * g.ow + oj, window, out, argmax)
        }
    }
}

/// 2×2 windows with stride 2 on one Float plane whose rows have at least four windows, eight (or,
/// in rows narrower than eight windows, four) at a time with vector compares and selects: nothing
/// branches (after a ReLU half the candidates tie at zero, and a branch would mispredict). A row's
/// last group is its last eight (four) windows, overlapping the one before it, which rewrites the
/// same values. Concrete Float, not generic: generic SIMD code compiles lane by lane. (Double,
/// used by the gradient checks, takes ``maxPoolPlane``.)
private func maxPool2x2Plane(_ x: UnsafePointer<Float>, _ plane: Int, _ window: PoolWindow,
                             _ out: UnsafeMutablePointer<Float>, _ argmax: UnsafeMutablePointer<Int32>) {
    let g = window.g, lanes = g.ow >= 8 ? 8 : 4
    for oi in 0..<g.oh {
        let top = plane &* g.h &* g.w &+ 2 &* oi &* g.w, first = (plane &* g.oh &+ oi) &* g.ow
        var oj = 0
        while true {
            let start = min(oj, g.ow &- lanes), cell = top &+ 2 &* start
            // the windows' upper and lower rows (four windows: their eight cells, twice)
            let upper: SIMD16<Float>, lower: SIMD16<Float>
            if lanes == 8 {
                upper = loadVector(SIMD16<Float>.self, from: x + cell)
                lower = loadVector(SIMD16<Float>.self, from: x + (cell &+ g.w))
            } else {
                let u = loadEight(x + cell)
                let l = loadEight(x + (cell &+ g.w))
                (upper, lower) = (SIMD16(lowHalf: u, highHalf: u), SIMD16(lowHalf: l, highHalf: l))
            }
            windowMaxima(upper, lower, cell: cell, lanes: lanes, window, out + (first &+ start), argmax + (first &+ start))
            if start == g.ow &- lanes { break }
            oj &+= lanes
        }
    }
}

/// Eight neighbouring 2×2 windows, one per lane, from their upper and lower rows and the flat
/// index of the first window's top-left cell. Writes the first `lanes` (8 or 4) maxima and their
/// cells (the first in row-major order among equal maxima, the last among NaNs, as
/// ``keepFirstMaximum`` scans), rectified as ``writeWindow``.
@inline(__always)
private func windowMaxima(_ upper: SIMD16<Float>, _ lower: SIMD16<Float>, cell: Int, lanes: Int, _ window: PoolWindow,
                          _ out: UnsafeMutablePointer<Float>, _ argmax: UnsafeMutablePointer<Int32>) {
    // b wins over a when greater or NaN
    func wins(_ b: SIMD8<Float>, over a: SIMD8<Float>) -> SIMDMask<SIMD8<Int32>> { (b .> a) .| (b .!= b) }
    let rightUpper = wins(upper.oddHalf, over: upper.evenHalf), rightLower = wins(lower.oddHalf, over: lower.evenHalf)
    let maxUpper = upper.evenHalf.replacing(with: upper.oddHalf, where: rightUpper)
    let maxLower = lower.evenHalf.replacing(with: lower.oddHalf, where: rightLower)
    let below = wins(maxLower, over: maxUpper)
    var best = maxUpper.replacing(with: maxLower, where: below)
    let (zero, one, down) = (SIMD8<Int32>(repeating: 0), SIMD8<Int32>(repeating: 1), SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: window.g.w)))
    var offsets = zero.replacing(with: one, where: rightUpper).replacing(with: down &+ zero.replacing(with: one, where: rightLower), where: below)
        &+ SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14) &+ SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: cell))
    if window.rectified {
        let kept = .!(best .<= 0)
        best = SIMD8<Float>(repeating: 0).replacing(with: best, where: kept)
        offsets = SIMD8<Int32>(repeating: -1).replacing(with: offsets, where: kept)
    }
    if lanes == 8 {
        storeVector(best, to: out)
        storeVector(offsets, to: argmax)
    } else {
        storeVector(best.lowHalf, to: out)
        storeVector(offsets.lowHalf, to: argmax)
    }
}

private func scatterToMaximaImpl<T: TensorScalar>(_ grad: [T], _ r: PoolRouting) -> [T] {
    let total = r.planes * r.inputPlane, (inPlane, outPlane) = (r.inputPlane, r.outputPlane)
    return Kernels.filled(total) { (out: UnsafeMutableBufferPointer<T>) in
        grad.withUnsafeBufferPointer { gp in r.argmax.withUnsafeBufferPointer { ap in
            let (ob, gb, ab) = (out.baseAddress!, gp.baseAddress!, ap.baseAddress!)
            forEachRange(r.planes, work: total) { planes in
                if r.twoByTwo {
                    for plane in planes { scatterTwoByTwoPlane(gb, ab, plane: plane, h: r.inputShape[2], w: r.inputShape[3], ob) }
                    return
                }
                (ob + planes.lowerBound * inPlane).initialize(repeating: 0, count: planes.count * inPlane)
                let windows = (planes.lowerBound * outPlane)..<(planes.upperBound * outPlane)
                if r.disjoint {
                    for k in windows where ab[k] >= 0 { ob[Int(ab[k])] = gb[k] }
                } else {
                    for k in windows where ab[k] >= 0 { ob[Int(ab[k])] += gb[k] }
                }
            }
        } }
    }
}

/// The scatter of one plane for 2×2 windows with stride 2: every input cell is written once, with
/// its window's gradient where it is that window's argmax and 0 elsewhere (the odd last row and
/// column belong to no window). No zero fill first, and no branch: after a ReLU about half the
/// windows route nothing, and a branch on that would mispredict. Float rows of at least four
/// windows take vector selects four windows at a time (a scalar select compiles to a branch); a
/// row's last group is its last four windows, overlapping the one before, which rewrites the same
/// values.
@inline(__always)
private func scatterTwoByTwoPlane<T: TensorScalar>(_ grad: UnsafePointer<T>, _ argmax: UnsafePointer<Int32>, plane: Int, h: Int, w: Int,
                                                   _ out: UnsafeMutablePointer<T>) {
    let (oh, ow) = (h / 2, w / 2)
    for i in 0..<h {
        let row = (plane &* h &+ i) &* w
        guard i < 2 &* oh else {
            (out + row).initialize(repeating: 0, count: w)
            continue
        }
        let first = (plane &* oh &+ i / 2) &* ow
        if T.self == Float.self && ow >= 4 {
            let (g, o) = (UnsafeRawPointer(grad).assumingMemoryBound(to: Float.self), UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self))
            var oj = 0
            while true {
                let start = min(oj, ow &- 4)
                scatterFourWindows(g + (first &+ start), argmax + (first &+ start), cell: row &+ 2 &* start, o)
                if start == ow &- 4 { break }
                oj &+= 4
            }
        } else {
            for oj in 0..<ow {
                let cell = row &+ 2 &* oj, a = argmax[first &+ oj], g = grad[first &+ oj]
                out[cell] = a == Int32(truncatingIfNeeded: cell) ? g : 0
                out[cell &+ 1] = a == Int32(truncatingIfNeeded: cell &+ 1) ? g : 0
            }
        }
        if w > 2 &* ow { out[row &+ w &- 1] = 0 }
    }
}

/// Four neighbouring 2×2 windows' gradients and argmax cells, spread over the eight cells of
/// their row from flat index `cell` on (one vector store): each cell gets its window's gradient
/// where it is the window's argmax, else 0.
@inline(__always)
private func scatterFourWindows(_ grad: UnsafePointer<Float>, _ argmax: UnsafePointer<Int32>, cell: Int, _ out: UnsafeMutablePointer<Float>) {
    let g = loadVector(SIMD4<Float>.self, from: grad), a = loadVector(SIMD4<Int32>.self, from: argmax), zero = SIMD4<Float>(repeating: 0)
    let left = SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: cell)) &+ SIMD4<Int32>(0, 2, 4, 6)
    var cells = SIMD8<Float>()
    cells.evenHalf = zero.replacing(with: g, where: a .== left)
    cells.oddHalf = zero.replacing(with: g, where: a .== left &+ 1)
    storeVector(cells, to: out + cell)
}

private func gatherAtMaximaImpl<T: TensorScalar>(_ x: [T], _ r: PoolRouting) -> [T] {
    Kernels.filled(r.argmax.count) { (out: UnsafeMutableBufferPointer<T>) in
        x.withUnsafeBufferPointer { xp in r.argmax.withUnsafeBufferPointer { ap in
            let (ob, xb, ab) = (out.baseAddress!, xp.baseAddress!, ap.baseAddress!)
            forEachRange(r.planes, work: x.count) { planes in
                for k in (planes.lowerBound * r.outputPlane)..<(planes.upperBound * r.outputPlane) {
                    ob[k] = ab[k] >= 0 ? xb[Int(ab[k])] : 0
                }
            }
        } }
    }
}
