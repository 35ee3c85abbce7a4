import CWideKernels

/// Direct convolution with the sixteen output channels in two SIMD vectors, for stride 1, no
/// padding and patches too large for ``DirectConvolution`` (LeNet's second layer: 6 channels of
/// 14×14, 5×5 kernels, a patch of 150, 16 outputs of 10×10). There im2col + GEMM copies every
/// input 25 times, runs GEMMs of 16 × 100 × 150 per image whose packing costs as much as their
/// arithmetic, and its input gradient adds 150 rows back through col2im. This path made an outer
/// iteration of the quantum LeNet's distillation (D3) about 10% faster.
///
/// Each value is summed in a fixed order that depends on neither the BLAS library nor the thread
/// count (OpenBLAS's kernels split their sums differently, so the two paths agree to rounding):
///
///     y[n, o, p]     = b[o] + (Σ_tap w[o, tap]·x[n, tap, p])                    a chain over the taps
///     ∂x[n, c, i, j] = Σ_{(ki, kj)} (Σ_o w[o, c, ki, kj]·∂y[n, o, i − ki, j − kj])  a chain over o per tap,
///                                                                               the taps added in order
///     ∂wᵀ[tap, o]   += Σ_p ∂y[n, o, p]·x[n, tap, p]                            a chain over the positions
///                                                                               per image, added image by image
///
/// Here tap = (c, ki, kj), x[n, tap, p] is the input under that tap at output position p = (i, j),
/// and a chain is one fused multiply-add after another, from zero, in index order.
enum ChannelLaneConvolution {
    /// Values per vector.
    static let lanes = 8
    /// The output channels this path computes: two vectors.
    static let outputs = 16
    /// The rows of a register tile (``Tile``): output positions (forward), input channels (input
    /// gradient) or taps (weight gradient).
    static let tileRows = 6

    /// Whether `g` takes this path: stride 1, no padding, 16 outputs, and a patch too large for
    /// ``DirectConvolution``.
    static func applies(_ g: Conv2dGeometry) -> Bool {
        g.stride == 1 && g.padding == 0 && g.outChannels == outputs && !DirectConvolution.applies(g)
    }

    /// v[0..<8] += a.
    @inline(__always)
    private static func add<T: TensorScalar>(_ a: SIMD8<T>, into v: UnsafeMutablePointer<T>) {
        storeVector(loadEight(v) + a, to: v)
    }

    /// A register tile: two vectors (the sixteen lanes) for each of six rows, twelve accumulators
    /// that start at zero. Each step multiplies one pair of vectors by one value per row.
    struct Tile<T: TensorScalar> {
        private var a00 = SIMD8<T>(), a01 = SIMD8<T>(), a10 = SIMD8<T>(), a11 = SIMD8<T>(), a20 = SIMD8<T>(), a21 = SIMD8<T>()
        private var a30 = SIMD8<T>(), a31 = SIMD8<T>(), a40 = SIMD8<T>(), a41 = SIMD8<T>(), a50 = SIMD8<T>(), a51 = SIMD8<T>()

        /// Row r += (low, high)·v_r for the six rows: twelve fused multiply-adds.
        @inline(__always)
        mutating func accumulate(_ low: SIMD8<T>, _ high: SIMD8<T>, _ v: (T, T, T, T, T, T)) {
            a00 = a00.addingProduct(low, v.0); a01 = a01.addingProduct(high, v.0)
            a10 = a10.addingProduct(low, v.1); a11 = a11.addingProduct(high, v.1)
            a20 = a20.addingProduct(low, v.2); a21 = a21.addingProduct(high, v.2)
            a30 = a30.addingProduct(low, v.3); a31 = a31.addingProduct(high, v.3)
            a40 = a40.addingProduct(low, v.4); a41 = a41.addingProduct(high, v.4)
            a50 = a50.addingProduct(low, v.5); a51 = a51.addingProduct(high, v.5)
        }

        /// Calls `body(r, low, high)` for rows 0 ..< `count`.
        @inline(__always)
        func forEachRow(_ count: Int, _ body: (Int, SIMD8<T>, SIMD8<T>) -> Void) {
            for r in 0..<count {
                switch r {
                case 0: body(r, a00, a01)
                case 1: body(r, a10, a11)
                case 2: body(r, a20, a21)
                case 3: body(r, a30, a31)
                case 4: body(r, a40, a41)
                default: body(r, a50, a51)
                }
            }
        }
    }

    /// The offset of tap (c, ki, kj) from the input value under an output position's first tap:
    /// c·H·W + ki·W + kj, for every tap in order.
    private static func tapOffsets(_ g: Conv2dGeometry) -> [Int] {
        var offsets: [Int] = []
        offsets.reserveCapacity(g.patch)
        for c in 0..<g.inChannels { for ki in 0..<g.kernelHeight { for kj in 0..<g.kernelWidth {
            offsets.append((c * g.height + ki) * g.width + kj)
        } } }
        return offsets
    }

    // MARK: forward

    /// y (+ the bias) for `images` of x into `out` ([N, 16, Ho, Wo]). A tile holds six output
    /// positions (in row-major order, across rows): each tap loads the two weight vectors of
    /// wᵀ[tap] once for the six input values under it. A last, short tile repeats its last
    /// position and stores only its own.
    static func forward<T: TensorScalar>(_ x: UnsafePointer<T>, _ w: UnsafePointer<T>, bias: UnsafePointer<T>?, _ g: Conv2dGeometry,
                                          _ images: Range<Int>, _ out: UnsafeMutablePointer<T>) {
        let patch = g.patch, positions = g.positions, imageSize = g.inChannels * g.height * g.width
        let wt = UnsafeMutablePointer<T>.allocate(capacity: patch * outputs)
        defer { wt.deallocate() }
        transpose(w, rows: outputs, columns: patch, into: wt)
        let offsets = tapOffsets(g)
        // with ``WideKernels`` on, the passes below run as AVX-512 kernels: one vector holds the
        // sixteen lanes (or sixteen columns of an input row)
        if let x = WideKernels.floats(x), let wt = WideKernels.floats(UnsafePointer(wt)), let out = WideKernels.floats(out) {
            qd_lane_forward_f32(x, wt, bias.flatMap(WideKernels.floats), offsets, g.patch, g.kernelWidth, imageSize, g.width, g.outHeight, g.outWidth,
                                images.lowerBound, images.upperBound, out)
            return
        }
        offsets.withUnsafeBufferPointer { taps in
            for n in images {
                let image = x + n * imageSize, planes = out + n * outputs * positions
                for first in stride(from: 0, to: positions, by: tileRows) {
                    forwardTile(image, UnsafePointer(wt), taps.baseAddress!, bias, g, first: first, into: planes)
                }
            }
        }
    }

    /// Output positions first ..< first + 6 (fewer at the end) of one image, every channel.
    @inline(__always)
    private static func forwardTile<T: TensorScalar>(_ image: UnsafePointer<T>, _ wt: UnsafePointer<T>, _ taps: UnsafePointer<Int>,
                                                     _ bias: UnsafePointer<T>?, _ g: Conv2dGeometry, first: Int,
                                                     into planes: UnsafeMutablePointer<T>) {
        let count = min(tileRows, g.positions &- first), ow = g.outWidth
        func source(_ t: Int) -> UnsafePointer<T> {
            let p = first &+ min(t, count &- 1)
            return image + ((p / ow) &* g.width &+ p % ow)
        }
        let (s0, s1, s2, s3, s4, s5) = (source(0), source(1), source(2), source(3), source(4), source(5))
        var tile = Tile<T>()
        for tap in 0..<g.patch {
            let k = taps[tap], weights = wt + tap &* outputs
            tile.accumulate(loadEight(weights), loadEight(weights + lanes), (s0[k], s1[k], s2[k], s3[k], s4[k], s5[k]))
        }
        tile.forEachRow(count) { t, low, high in
            let p = first &+ t, planeSize = g.positions
            for o in 0..<lanes {
                planes[o &* planeSize &+ p] = bias.map { $0[o] + low[o] } ?? low[o]
                planes[(o &+ lanes) &* planeSize &+ p] = bias.map { $0[o &+ lanes] + high[o] } ?? high[o]
            }
        }
    }

    // MARK: input gradient

    /// ∂x for `images` of ∂y into `dx` ([N, C, H, W], the images' planes only, overwritten), per
    /// image in two passes. First every tap's chain over the outputs o at every output position p,
    /// cols[tap, p] = Σ_o w[o, tap]·∂y[o, p]: a tile of six taps × sixteen positions keeps twelve
    /// chains, and each o loads its two ∂y vectors once for the six taps' weights (∂y is read from
    /// a copy padded with zeros to whole vectors). Then each input row is summed in registers from
    /// the rows of cols under it, taps in (ki, kj) order, and stored once (``sumInputRows``). Unlike
    /// gathering along input rows, no multiply-add falls outside ∂y.
    static func inputGradient<T: TensorScalar>(_ dy: UnsafePointer<T>, _ w: UnsafePointer<T>, _ g: Conv2dGeometry,
                                                _ images: Range<Int>, _ dx: UnsafeMutablePointer<T>) {
        let positions = g.positions, width = (positions + 2 * lanes - 1) / (2 * lanes) * (2 * lanes)
        let imageSize = g.inChannels * g.height * g.width
        let padded = UnsafeMutablePointer<T>.allocate(capacity: outputs * width)
        padded.initialize(repeating: 0, count: outputs * width)
        // margins around the taps' rows for the masked lanes of shifted reads: before, as a read
        // starts up to kw − 1 early, and an input row's vectors after, as the last row's vectors
        // reach past its last position
        let masks = InputRowMasks<T>(g)
        let margin = max(lanes, g.kernelWidth), size = margin + g.patch * width + masks.vectors * lanes
        let cols = UnsafeMutablePointer<T>.allocate(capacity: size)
        cols.initialize(repeating: 0, count: size)
        defer { padded.deallocate(); cols.deallocate() }
        for n in images {
            for o in 0..<outputs { (padded + o * width).update(from: dy + (n * outputs + o) * positions, count: positions) }
            if let padded = WideKernels.floats(UnsafePointer(padded)), let w = WideKernels.floats(w), let cols = WideKernels.floats(cols + margin) {
                qd_lane_columns_f32(padded, w, g.patch, width, cols)
            } else {
                for first in stride(from: 0, to: g.patch, by: tileRows) {
                    for column in stride(from: 0, to: width, by: 2 * lanes) {
                        columnTile(UnsafePointer(padded), w, g, width: width, taps: first..<min(g.patch, first + tileRows),
                                   column: column, into: cols + margin)
                    }
                }
            }
            if let cols = WideKernels.floats(UnsafePointer(cols + margin)), let image = WideKernels.floats(dx + n * imageSize) {
                qd_lane_input_rows_f32(cols, width, g.inChannels, g.kernelHeight, g.kernelWidth, g.height, g.width, g.outHeight, g.outWidth, image)
                continue
            }
            for c in stride(from: 0, to: g.inChannels, by: tileRows) {
                for i in 0..<g.height {
                    sumInputRows(UnsafePointer(cols + margin), g, width: width, channels: c..<min(g.inChannels, c + tileRows), row: i,
                                 masks: masks, into: dx + n * imageSize)
                }
            }
        }
    }

    /// cols[tap, column ..< column + 16] = Σ_o w[o, tap]·∂y[o, column ..< column + 16] for `taps`
    /// (at most six) of one image's padded ∂y (rows of `width`).
    @inline(__always)
    private static func columnTile<T: TensorScalar>(_ padded: UnsafePointer<T>, _ w: UnsafePointer<T>, _ g: Conv2dGeometry, width: Int,
                                                    taps: Range<Int>, column: Int, into cols: UnsafeMutablePointer<T>) {
        // taps past the range repeat the last one, and are not stored
        func tap(_ t: Int) -> Int { min(taps.lowerBound &+ t, taps.upperBound &- 1) }
        let (k0, k1, k2, k3, k4, k5) = (tap(0), tap(1), tap(2), tap(3), tap(4), tap(5))
        var tile = Tile<T>()
        for o in 0..<outputs {
            let d = padded + (o &* width &+ column), weights = w + o &* g.patch
            tile.accumulate(loadEight(d), loadEight(d + lanes), (weights[k0], weights[k1], weights[k2], weights[k3], weights[k4], weights[k5]))
        }
        tile.forEachRow(taps.count) { t, low, high in
            let target = cols + ((taps.lowerBound &+ t) &* width &+ column)
            storeVector(low, to: target)
            storeVector(high, to: target + lanes)
        }
    }

    /// Which lanes of an input row's vectors each kj reaches: lane j of vector v (column 8v + j)
    /// lies under output column 8v + j − kj, inside ∂y only for 0 ≤ 8v + j − kj < Wo.
    struct InputRowMasks<T: TensorScalar> {
        /// Vectors per input row.
        let vectors: Int
        /// outside[kj · vectors + v]: the lanes of vector v that kj does not reach.
        let outside: [SIMDMask<SIMD8<T.SIMDMaskScalar>>]

        init(_ g: Conv2dGeometry) {
            let vectors = (g.width + lanes - 1) / lanes
            var outside: [SIMDMask<SIMD8<T.SIMDMaskScalar>>] = []
            for kj in 0..<g.kernelWidth {
                for v in 0..<vectors {
                    var mask = SIMDMask<SIMD8<T.SIMDMaskScalar>>()
                    for j in 0..<lanes { mask[j] = !(0..<g.outWidth).contains(v * lanes + j - kj) }
                    outside.append(mask)
                }
            }
            (self.vectors, self.outside) = (vectors, outside)
        }
    }

    /// ∂x[c, i, ·] = Σ_{(ki, kj)} cols[(c, ki, kj), (i − ki)·Wo + · − kj] for `channels` (at most
    /// six) of input row i, over the taps whose output row i − ki lies inside ∂y, added in (ki, kj)
    /// order from +0, one vector of the row at a time with the channels' six sums side by side
    /// (lanes that a tap does not reach add +0, which changes nothing), then stored into ∂x
    /// (`image`, one image's planes).
    @inline(__always)
    private static func sumInputRows<T: TensorScalar>(_ cols: UnsafePointer<T>, _ g: Conv2dGeometry, width: Int, channels: Range<Int>,
                                                      row i: Int, masks: InputRowMasks<T>, into image: UnsafeMutablePointer<T>) {
        let (oh, ow, kh, kw) = (g.outHeight, g.outWidth, g.kernelHeight, g.kernelWidth)
        // channels past the range repeat the last one, and are not stored
        func plane(_ t: Int) -> Int { min(channels.lowerBound &+ t, channels.upperBound &- 1) &* kh &* kw &* width }
        let (p0, p1, p2, p3, p4, p5) = (plane(0), plane(1), plane(2), plane(3), plane(4), plane(5))
        let zero = SIMD8<T>()
        for v in 0..<masks.vectors {
            var (s0, s1, s2, s3, s4, s5) = (zero, zero, zero, zero, zero, zero)
            for ki in max(0, i &- oh &+ 1)...min(kh &- 1, i) {
                for kj in 0..<kw {
                    let outside = masks.outside[kj &* masks.vectors &+ v]
                    let tap = cols + ((ki &* kw &+ kj) &* width &+ (i &- ki) &* ow &+ v &* lanes &- kj)
                    s0 += loadEight(tap + p0).replacing(with: zero, where: outside)
                    s1 += loadEight(tap + p1).replacing(with: zero, where: outside)
                    s2 += loadEight(tap + p2).replacing(with: zero, where: outside)
                    s3 += loadEight(tap + p3).replacing(with: zero, where: outside)
                    s4 += loadEight(tap + p4).replacing(with: zero, where: outside)
                    s5 += loadEight(tap + p5).replacing(with: zero, where: outside)
                }
            }
            let count = min(lanes, g.width &- v &* lanes)
            for t in 0..<channels.count {
                let sum = t == 0 ? s0 : t == 1 ? s1 : t == 2 ? s2 : t == 3 ? s3 : t == 4 ? s4 : s5
                let row = image + (((channels.lowerBound &+ t) &* g.height &+ i) &* g.width &+ v &* lanes)
                if count == lanes {
                    storeVector(sum, to: row)
                } else {
                    for j in 0..<count { row[j] = sum[j] }
                }
            }
        }
    }

    // MARK: weight gradient

    /// Adds ∂wᵀ for `images` (x and ∂y [N, 16, Ho, Wo]) into `dwt` [patch, 16]. Each image's ∂y is
    /// transposed to [P, 16] first, into `transposed` (P·16 values of scratch); a tile of six taps
    /// keeps twelve chains over the positions, and each position loads its two ∂y vectors once for
    /// the six input values under the taps.
    static func weightGradient<T: TensorScalar>(_ x: UnsafePointer<T>, _ dy: UnsafePointer<T>, _ g: Conv2dGeometry,
                                                 _ images: Range<Int>, transposing transposed: UnsafeMutablePointer<T>,
                                                 into dwt: UnsafeMutablePointer<T>) {
        let positions = g.positions, imageSize = g.inChannels * g.height * g.width
        let offsets = tapOffsets(g)
        // the AVX-512 kernel takes kernel rows (c, ki) two at a time, twelve chains for kw ≤ 6
        let wideTransposed = g.kernelWidth <= 6 ? WideKernels.floats(transposed) : nil
        let rowOffsets = wideTransposed == nil ? [] : stride(from: 0, to: g.patch, by: g.kernelWidth).map { offsets[$0] }
        offsets.withUnsafeBufferPointer { taps in
            for n in images {
                if let wideTransposed, let x = WideKernels.floats(x + n * imageSize), let dy = WideKernels.floats(dy + n * outputs * positions),
                   let dwt = WideKernels.floats(dwt) {
                    qd_transpose16_f32(dy, positions, wideTransposed)
                    qd_lane_weight_gradient_f32(x, wideTransposed, rowOffsets, rowOffsets.count, g.kernelWidth, g.width, g.outHeight, g.outWidth, dwt)
                    continue
                }
                transpose(dy + n * outputs * positions, rows: outputs, columns: positions, into: transposed)
                for first in stride(from: 0, to: g.patch, by: tileRows) {
                    weightGradientTile(x + n * imageSize, UnsafePointer(transposed), taps.baseAddress!, g,
                                       taps: first..<min(g.patch, first + tileRows), into: dwt)
                }
            }
        }
    }

    /// ∂wᵀ[tap, 0..<16] += Σ_p ∂y[o, p]·x[tap, p] for `taps` (at most six) of one image.
    @inline(__always)
    private static func weightGradientTile<T: TensorScalar>(_ image: UnsafePointer<T>, _ transposed: UnsafePointer<T>, _ offsets: UnsafePointer<Int>,
                                                            _ g: Conv2dGeometry, taps: Range<Int>, into dwt: UnsafeMutablePointer<T>) {
        // taps past the range repeat the last one, and are not added
        func offset(_ t: Int) -> Int { offsets[min(taps.lowerBound &+ t, taps.upperBound &- 1)] }
        let (k0, k1, k2, k3, k4, k5) = (offset(0), offset(1), offset(2), offset(3), offset(4), offset(5))
        var tile = Tile<T>()
        var d = transposed
        for i in 0..<g.outHeight {
            let s = image + i &* g.width
            for j in 0..<g.outWidth {
                tile.accumulate(loadEight(d), loadEight(d + lanes), (s[k0 &+ j], s[k1 &+ j], s[k2 &+ j], s[k3 &+ j], s[k4 &+ j], s[k5 &+ j]))
                d += outputs
            }
        }
        tile.forEachRow(taps.count) { t, low, high in
            let row = dwt + ((taps.lowerBound &+ t) &* outputs)
            add(low, into: row)
            add(high, into: row + lanes)
        }
    }
}
