import CWideKernels

/// Direct convolution for stride 1, small patches and few output channels (LeNet's first layer:
/// 1 or 3 channels, 5×5, 6 outputs). There im2col + GEMM is a poor fit: the im2col matrix is 25×
/// the image, written and read again for the weight gradient, and a GEMM with 6 rows wastes most
/// of its micro-kernel.
/// Here each image is zero-padded once, and each output row is accumulated in SIMD registers
/// straight from the padded rows, eight output columns at a time:
///
///     y[o, i, j..<j+8] = Σ_{c, ki, kj} w[o, c, ki, kj] · xpad[c, i + ki, j + kj ..< j + kj + 8]
///     ∂w[o, c, ki, kj] = Σ_{n, i, j} ∂y[n, o, i, j] · xpad[n, c, i + ki, j + kj]
///
/// The input gradient is the forward pass of the transposed convolution (square kernels with
/// p < k): ∂y zero-padded by k − 1 − p, with the weight flipped and its channel axes swapped,
///
///     ∂x[c, i, j] = Σ_{o, a, b} w[o, c, k−1−a, k−1−b] · ∂ypad[o, i + a, j + b],
///
/// so every value is one chain over (o, a, b) in that order, from 0.
enum DirectConvolution {
    /// Output columns per vector.
    static let lanes = 8
    /// The largest patch C·kh·kw handled directly, and the most output channels: every output
    /// vector costs one multiply-add per weight, so larger patches (LeNet's second layer: 150, see
    /// ``ChannelLaneConvolution``) and many output channels (AlexCifarNet: 64, im2col + GEMM) do
    /// better with other paths, while a GEMM with a handful of rows (LeNet's first layer: 6; 1 or 3
    /// input channels) wastes most of its micro-kernel. On CIFAR-10 LeNet's first layer (patch 75)
    /// the direct path is 1.35× faster.
    static let maximumPatch = 80, maximumOutputs = 16

    /// Whether `g` takes the direct path.
    static func applies(_ g: Conv2dGeometry) -> Bool { g.stride == 1 && g.patch <= maximumPatch && g.outChannels <= maximumOutputs }

    /// Whether the input gradient of `g` takes the direct path: ``applies(_:)`` with a square
    /// kernel wider than the padding, so that the transposed convolution has padding k − 1 − p ≥ 0.
    static func appliesToInputGradient(_ g: Conv2dGeometry) -> Bool {
        applies(g) && g.kernelHeight == g.kernelWidth && g.padding < g.kernelHeight
    }

    /// The weight of the transposed convolution: w′[c, o, a, b] = w[o, c, k−1−a, k−1−b].
    static func flippedTranspose<T: TensorScalar>(_ w: [T], _ g: Conv2dGeometry) -> [T] {
        let (outs, channels, kh, kw) = (g.outChannels, g.inChannels, g.kernelHeight, g.kernelWidth)
        return Kernels.filled(w.count) { (out: UnsafeMutableBufferPointer<T>) in
            for c in 0..<channels { for o in 0..<outs { for a in 0..<kh { for b in 0..<kw {
                out[((c * outs + o) * kh + a) * kw + b] = w[((o * channels + c) * kh + kh - 1 - a) * kw + kw - 1 - b]
            } } } }
        }
    }

    /// The zero-padded planes of one image: C planes of (H + 2p) rows of `paddedWidth` columns,
    /// wide enough that every vector load of a row stays inside it, then eight more zeros, so that
    /// eight values read from any cell of a kernel's patch stay inside the buffer (a row's last
    /// patch reads at most seven past its end: ``Kernels/pooledConvWeightGradient(_:_:_:_:)``).
    struct PaddedImage<T: TensorScalar> {
        let rows: Int, paddedWidth: Int, chunks: Int
        let buffer: UnsafeMutablePointer<T>
        let g: Conv2dGeometry

        init(_ g: Conv2dGeometry) {
            self.g = g
            chunks = (g.outWidth + DirectConvolution.lanes - 1) / DirectConvolution.lanes
            rows = g.height + 2 * g.padding
            // reads of whole vectors of sixteen (the AVX-512 forward pass, WideKernels), which cover
            // the AVX2 kernels' vectors of eight as well
            let wideVectors = (g.outWidth + 2 * DirectConvolution.lanes - 1) / (2 * DirectConvolution.lanes)
            paddedWidth = max(g.width + 2 * g.padding, g.kernelWidth - 1 + wideVectors * 2 * DirectConvolution.lanes)
            buffer = .allocate(capacity: g.inChannels * rows * paddedWidth + DirectConvolution.lanes)
            buffer.initialize(repeating: 0, count: g.inChannels * rows * paddedWidth + DirectConvolution.lanes)
        }

        func deallocate() { buffer.deallocate() }

        /// Copies image `n` of `x` inside the zero border (the border is never written).
        func load(_ x: UnsafePointer<T>, image n: Int) {
            for c in 0..<g.inChannels {
                let plane = x + (n * g.inChannels + c) * g.height * g.width
                let dst = buffer + c * rows * paddedWidth
                for r in 0..<g.height {
                    (dst + (r + g.padding) * paddedWidth + g.padding).update(from: plane + r * g.width, count: g.width)
                }
            }
        }
    }

    /// y (+ the bias, when given) for `images` of x into `out` ([N, O, Ho, Wo], the images' planes
    /// only). A tile of three output channels × four vectors of a row is accumulated in twelve
    /// registers: each tap loads the four input vectors once for the three channels' weights.
    /// Vectors left over take one-channel, one-vector tiles; channels left over take one-channel
    /// tiles of four rows × two vectors, then one-vector tiles. With ``WideKernels`` on
    /// (Float), an AVX-512 kernel computes the same chains with vectors of sixteen.
    static func forward<T: TensorScalar>(_ x: UnsafePointer<T>, _ w: UnsafePointer<T>, bias: UnsafePointer<T>?, _ g: Conv2dGeometry,
                                          _ images: Range<Int>, _ out: UnsafeMutablePointer<T>) {
        let padded = PaddedImage<T>(g)
        defer { padded.deallocate() }
        let (oh, ow, chunks, outs) = (g.outHeight, g.outWidth, padded.chunks, g.outChannels)
        if let buffer = WideKernels.floats(UnsafePointer(padded.buffer)), let w = WideKernels.floats(w), let out = WideKernels.floats(out) {
            for n in images {
                padded.load(x, image: n)
                qd_direct_forward_f32(buffer, padded.rows, padded.paddedWidth, w, bias.flatMap(WideKernels.floats), g.inChannels,
                                      g.kernelHeight, g.kernelWidth, outs, oh, ow, out + n * outs * oh * ow)
            }
            return
        }
        for n in images {
            padded.load(x, image: n)
            var o = 0
            while o &+ 3 <= outs {
                for i in 0..<oh {
                    let row = out + ((n &* outs &+ o) &* oh &+ i) &* ow, planeSize = oh &* ow
                    var chunk = 0
                    while chunk &+ 4 <= chunks {
                        forwardTile(padded, w, bias, o: o, row: i, chunk: chunk, into: row, planeSize: planeSize, width: ow)
                        chunk &+= 4
                    }
                    for k in 0..<3 {
                        for c in chunk..<chunks {
                            forwardVector(padded, w, bias, o: o &+ k, row: i, chunk: c, into: row + k &* planeSize, width: ow)
                        }
                    }
                }
                o &+= 3
            }
            for o in o..<outs {
                let plane = out + (n &* outs &+ o) &* oh &* ow
                var i = 0
                while i &+ 4 <= oh {
                    var chunk = 0
                    while chunk &+ 2 <= chunks {
                        forwardRowTile(padded, w, bias, o: o, row: i, chunk: chunk, into: plane, width: ow)
                        chunk &+= 2
                    }
                    for r in i..<(i &+ 4) { for c in chunk..<chunks { forwardVector(padded, w, bias, o: o, row: r, chunk: c, into: plane + r &* ow, width: ow) } }
                    i &+= 4
                }
                for r in i..<oh { for c in 0..<chunks { forwardVector(padded, w, bias, o: o, row: r, chunk: c, into: plane + r &* ow, width: ow) } }
            }
        }
    }

    /// Whether ``forwardPooled(_:_:bias:_:rectified:_:pooled:argmax:)`` takes `g`: the direct path
    /// with output rows of 17 to 32 columns (two vectors of sixteen), at least two rows, and
    /// outputs whose cells Int32 indexes.
    static func appliesPooled(_ g: Conv2dGeometry) -> Bool {
        applies(g) && g.outWidth > 2 * lanes && g.outWidth <= 4 * lanes && g.outHeight >= 2 && g.outputShape.reduce(1, *) <= Int(Int32.max)
    }

    /// maxPool2d(``forward``'s y, 2×2, stride 2) for `images` of x, without writing y (AVX-512,
    /// Float): `pooled` receives the images' ⌊Ho/2⌋ × ⌊Wo/2⌋ window maxima and `argmax` each
    /// window's cell as a flat index into y, as ``Kernels/maxPool(_:_:)`` finds them (ReLU of the
    /// maximum and −1 where `rectified` and it is not positive). Only for geometries it
    /// ``appliesPooled(_:)`` to, when the wide kernels ``WideKernels/run(for:)`` T.
    static func forwardPooled<T: TensorScalar>(_ x: UnsafePointer<T>, _ w: UnsafePointer<T>, bias: UnsafePointer<T>?, _ g: Conv2dGeometry,
                                               rectified: Bool, _ images: Range<Int>, pooled: UnsafeMutablePointer<T>,
                                               argmax: UnsafeMutablePointer<Int32>) {
        let padded = PaddedImage<T>(g)
        defer { padded.deallocate() }
        guard let buffer = WideKernels.floats(UnsafePointer(padded.buffer)), let w = WideKernels.floats(w),
              let pooled = WideKernels.floats(pooled) else { preconditionFailure("forwardPooled: the wide kernels do not run for \(T.self)") }
        let (outs, cells, windows) = (g.outChannels, g.outHeight * g.outWidth, (g.outHeight / 2) * (g.outWidth / 2))
        for n in images {
            padded.load(x, image: n)
            qd_direct_forward_pooled_f32(buffer, padded.rows, padded.paddedWidth, w, bias.flatMap(WideKernels.floats), g.inChannels,
                                         g.kernelHeight, g.kernelWidth, outs, g.outHeight, g.outWidth, rectified, n * outs * cells,
                                         pooled + n * outs * windows, argmax + n * outs * windows)
        }
    }

    /// Output channels o, o + 1, o + 2 of output row `row`, vectors chunk ..< chunk + 4, into
    /// `r0` (channel o's row) and the rows `planeSize` and 2·`planeSize` after it.
    @inline(__always)
    private static func forwardTile<T: TensorScalar>(_ padded: PaddedImage<T>, _ w: UnsafePointer<T>, _ bias: UnsafePointer<T>?,
                                                     o: Int, row: Int, chunk: Int, into r0: UnsafeMutablePointer<T>, planeSize: Int, width: Int) {
        let g = padded.g, pw = padded.paddedWidth
        let (b0, b1, b2) = (SIMD8<T>(repeating: bias?[o] ?? 0), SIMD8<T>(repeating: bias?[o &+ 1] ?? 0), SIMD8<T>(repeating: bias?[o &+ 2] ?? 0))
        var (a00, a01, a02, a03) = (b0, b0, b0, b0)
        var (a10, a11, a12, a13) = (b1, b1, b1, b1)
        var (a20, a21, a22, a23) = (b2, b2, b2, b2)
        let (w0, w1, w2) = (w + o &* g.patch, w + (o &+ 1) &* g.patch, w + (o &+ 2) &* g.patch)
        var tap = 0
        for c in 0..<g.inChannels { for ki in 0..<g.kernelHeight {
            let source = UnsafePointer(padded.buffer + ((c &* padded.rows &+ row &+ ki) &* pw &+ chunk &* lanes))
            for kj in 0..<g.kernelWidth {
                let p = source + kj
                let (x0, x1, x2, x3) = (loadEight(p), loadEight(p + lanes), loadEight(p + 2 &* lanes), loadEight(p + 3 &* lanes))
                let (v0, v1, v2) = (w0[tap], w1[tap], w2[tap])
                a00 = a00.addingProduct(x0, v0); a01 = a01.addingProduct(x1, v0); a02 = a02.addingProduct(x2, v0); a03 = a03.addingProduct(x3, v0)
                a10 = a10.addingProduct(x0, v1); a11 = a11.addingProduct(x1, v1); a12 = a12.addingProduct(x2, v1); a13 = a13.addingProduct(x3, v1)
                a20 = a20.addingProduct(x0, v2); a21 = a21.addingProduct(x1, v2); a22 = a22.addingProduct(x2, v2); a23 = a23.addingProduct(x3, v2)
                tap &+= 1
            }
        } }
        let (r1, r2) = (r0 + planeSize, r0 + 2 &* planeSize)
        store(a00, r0, chunk: chunk, width: width); store(a01, r0, chunk: chunk &+ 1, width: width)
        store(a02, r0, chunk: chunk &+ 2, width: width); store(a03, r0, chunk: chunk &+ 3, width: width)
        store(a10, r1, chunk: chunk, width: width); store(a11, r1, chunk: chunk &+ 1, width: width)
        store(a12, r1, chunk: chunk &+ 2, width: width); store(a13, r1, chunk: chunk &+ 3, width: width)
        store(a20, r2, chunk: chunk, width: width); store(a21, r2, chunk: chunk &+ 1, width: width)
        store(a22, r2, chunk: chunk &+ 2, width: width); store(a23, r2, chunk: chunk &+ 3, width: width)
    }

    /// Output channel o, output rows row ..< row + 4, vectors chunk and chunk + 1, into `plane`
    /// (channel o's plane): eight chains, for the channels a three-channel tile leaves over (the
    /// transposed convolution of LeNet's first layer, its input gradient, has one or three).
    @inline(__always)
    private static func forwardRowTile<T: TensorScalar>(_ padded: PaddedImage<T>, _ w: UnsafePointer<T>, _ bias: UnsafePointer<T>?,
                                                        o: Int, row: Int, chunk: Int, into plane: UnsafeMutablePointer<T>, width: Int) {
        let g = padded.g, pw = padded.paddedWidth, weights = w + o &* g.patch
        let b = SIMD8<T>(repeating: bias?[o] ?? 0)
        var (a00, a01, a10, a11, a20, a21, a30, a31) = (b, b, b, b, b, b, b, b)
        var tap = 0
        for c in 0..<g.inChannels { for ki in 0..<g.kernelHeight {
            let source = UnsafePointer(padded.buffer + ((c &* padded.rows &+ row &+ ki) &* pw &+ chunk &* lanes))
            for kj in 0..<g.kernelWidth {
                let p = source + kj, v = weights[tap]
                a00 = a00.addingProduct(loadEight(p), v); a01 = a01.addingProduct(loadEight(p + lanes), v)
                a10 = a10.addingProduct(loadEight(p + pw), v); a11 = a11.addingProduct(loadEight(p + (pw &+ lanes)), v)
                a20 = a20.addingProduct(loadEight(p + 2 &* pw), v); a21 = a21.addingProduct(loadEight(p + (2 &* pw &+ lanes)), v)
                a30 = a30.addingProduct(loadEight(p + 3 &* pw), v); a31 = a31.addingProduct(loadEight(p + (3 &* pw &+ lanes)), v)
                tap &+= 1
            }
        } }
        let rows = (plane + row &* width, plane + (row &+ 1) &* width, plane + (row &+ 2) &* width, plane + (row &+ 3) &* width)
        store(a00, rows.0, chunk: chunk, width: width); store(a01, rows.0, chunk: chunk &+ 1, width: width)
        store(a10, rows.1, chunk: chunk, width: width); store(a11, rows.1, chunk: chunk &+ 1, width: width)
        store(a20, rows.2, chunk: chunk, width: width); store(a21, rows.2, chunk: chunk &+ 1, width: width)
        store(a30, rows.3, chunk: chunk, width: width); store(a31, rows.3, chunk: chunk &+ 1, width: width)
    }

    /// Output channel o of output row `row`, vector `chunk`.
    @inline(__always)
    private static func forwardVector<T: TensorScalar>(_ padded: PaddedImage<T>, _ w: UnsafePointer<T>, _ bias: UnsafePointer<T>?,
                                                       o: Int, row: Int, chunk: Int, into r: UnsafeMutablePointer<T>, width: Int) {
        let g = padded.g, pw = padded.paddedWidth, weights = w + o &* g.patch
        var acc = SIMD8<T>(repeating: bias?[o] ?? 0)
        var tap = 0
        for c in 0..<g.inChannels { for ki in 0..<g.kernelHeight {
            let source = UnsafePointer(padded.buffer + ((c &* padded.rows &+ row &+ ki) &* pw &+ chunk &* lanes))
            for kj in 0..<g.kernelWidth {
                acc = acc.addingProduct(loadEight(source + kj), weights[tap])
                tap &+= 1
            }
        } }
        store(acc, r, chunk: chunk, width: width)
    }

    /// Writes the lanes of `v` that fall inside an output row of `width` (all but the row's last
    /// vector are whole).
    @inline(__always)
    private static func store<T: TensorScalar>(_ v: SIMD8<T>, _ row: UnsafeMutablePointer<T>, chunk: Int, width: Int) {
        let first = chunk &* lanes
        if first &+ lanes <= width {
            storeVector(v, to: row + first)
        } else {
            for l in 0..<(width &- first) { row[first &+ l] = v[l] }
        }
    }

    /// Adds ∂w for `images` (x and ∂y [N, O, Ho, Wo]) into `dw` [O, C·kh·kw]. A tile of three output
    /// channels × four neighbouring taps (kj … kj + 3) is accumulated in twelve registers over every
    /// row and vector: each step loads three gradient vectors and four input vectors for twelve
    /// multiply-adds. Taps left over take three-channel, one-tap tiles, and channels left over
    /// one-channel, one-tap tiles. With ``WideKernels`` on (Float, a multiple of six outputs), an
    /// AVX-512 kernel computes the same per-lane chains two outputs to a vector
    /// (``wideWeightGradient``).
    static func weightGradient<T: TensorScalar>(_ x: UnsafePointer<T>, _ dy: UnsafePointer<T>, _ g: Conv2dGeometry,
                                                 _ images: Range<Int>, into dw: UnsafeMutablePointer<T>) {
        let padded = PaddedImage<T>(g)
        defer { padded.deallocate() }
        if g.outChannels % 6 == 0, let buffer = WideKernels.floats(UnsafePointer(padded.buffer)), let gradient = WideKernels.floats(dy) {
            wideWeightGradient(padded, buffer, x, gradient, images, into: dw)
            return
        }
        let (oh, ow, chunks, outs) = (g.outHeight, g.outWidth, padded.chunks, g.outChannels)
        // ∂y of one image with rows zero-padded to whole vectors, so columns past Wo add nothing
        let rowWidth = chunks * lanes
        let gradient = UnsafeMutablePointer<T>.allocate(capacity: outs * oh * rowWidth)
        gradient.initialize(repeating: 0, count: outs * oh * rowWidth)
        defer { gradient.deallocate() }
        for n in images {
            padded.load(x, image: n)
            for r in 0..<(outs * oh) { (gradient + r &* rowWidth).update(from: dy + (n &* outs &* oh &+ r) &* ow, count: ow) }
            var o = 0
            while o < outs {
                let tiled = o &+ 3 <= outs
                for c in 0..<g.inChannels { for ki in 0..<g.kernelHeight {
                    var kj = 0
                    while tiled && kj &+ 4 <= g.kernelWidth {
                        weightGradientTile(padded, gradient, rowWidth: rowWidth, o: o, c: c, ki: ki, kj: kj, into: dw)
                        kj &+= 4
                    }
                    for k in kj..<g.kernelWidth {
                        if tiled {
                            weightGradientTapTile(padded, gradient, rowWidth: rowWidth, o: o, c: c, ki: ki, kj: k, into: dw)
                        } else {
                            weightGradientTap(padded, gradient, rowWidth: rowWidth, o: o, c: c, ki: ki, kj: k, into: dw)
                        }
                    }
                } }
                o &+= tiled ? 3 : 1
            }
        }
    }

    /// ``weightGradient`` on the AVX-512 kernel: per image, ∂y laid out in output pairs (eight
    /// columns of one output, then the same of the next), the kernel's per-lane chains, and each
    /// chain's eight lanes summed as the AVX2 path sums its vectors, so the bits are the same.
    private static func wideWeightGradient<T: TensorScalar>(_ padded: PaddedImage<T>, _ buffer: UnsafePointer<Float>, _ x: UnsafePointer<T>,
                                                            _ dy: UnsafePointer<Float>, _ images: Range<Int>, into dw: UnsafeMutablePointer<T>) {
        let g = padded.g, (oh, ow, chunks, outs) = (g.outHeight, g.outWidth, padded.chunks, g.outChannels)
        let pairs = UnsafeMutablePointer<Float>.allocate(capacity: outs * oh * chunks * lanes)
        pairs.initialize(repeating: 0, count: outs * oh * chunks * lanes)
        let chains = UnsafeMutablePointer<T>.allocate(capacity: outs * g.patch * lanes)
        defer { pairs.deallocate(); chains.deallocate() }
        for n in images {
            padded.load(x, image: n)
            for o in 0..<outs { for i in 0..<oh {
                let row = dy + ((n &* outs &+ o) &* oh &+ i) &* ow, pair = pairs + (((o / 2) &* oh &+ i) &* chunks &* 2 &+ o % 2) &* lanes
                for c in 0..<chunks {
                    let first = c &* lanes, to = pair + 2 &* c &* lanes
                    if first &+ lanes <= ow {
                        storeVector(loadEight(row + first), to: to)
                    } else {
                        for l in 0..<(ow &- first) { to[l] = row[first &+ l] }
                    }
                }
            } }
            qd_direct_weight_gradient_f32(buffer, padded.rows, padded.paddedWidth, pairs, g.inChannels, g.kernelHeight, g.kernelWidth,
                                          outs, oh, chunks, WideKernels.floats(chains)!)
            for k in 0..<(outs &* g.patch) { dw[k] += loadEight(chains + k &* lanes).sum() }
        }
    }

    /// What a weight-gradient tile of output channels o ..< o + 3 at tap (c, ki, kj) reads: the
    /// padded input from row ki, column kj on, and the three channels' ∂y planes.
    @inline(__always)
    private static func tileOperands<T: TensorScalar>(_ padded: PaddedImage<T>, _ gradient: UnsafeMutablePointer<T>, rowWidth: Int,
                                                      o: Int, c: Int, ki: Int, kj: Int)
        -> (UnsafePointer<T>, UnsafePointer<T>, UnsafePointer<T>, UnsafePointer<T>) {
        let plane = padded.g.outHeight &* rowWidth
        return (UnsafePointer(padded.buffer + ((c &* padded.rows &+ ki) &* padded.paddedWidth &+ kj)), UnsafePointer(gradient + o &* plane),
                UnsafePointer(gradient + (o &+ 1) &* plane), UnsafePointer(gradient + (o &+ 2) &* plane))
    }

    /// ∂w[o ..< o + 3, c, ki, kj ..< kj + 4] += Σ over rows and vectors of ∂y · x for one image.
    @inline(__always)
    private static func weightGradientTile<T: TensorScalar>(_ padded: PaddedImage<T>, _ gradient: UnsafeMutablePointer<T>, rowWidth: Int,
                                                            o: Int, c: Int, ki: Int, kj: Int, into dw: UnsafeMutablePointer<T>) {
        let g = padded.g, pw = padded.paddedWidth
        let (source, d0, d1, d2) = tileOperands(padded, gradient, rowWidth: rowWidth, o: o, c: c, ki: ki, kj: kj)
        var (a00, a01, a02, a03) = (SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>())
        var (a10, a11, a12, a13) = (SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>())
        var (a20, a21, a22, a23) = (SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>())
        for i in 0..<g.outHeight {
            for chunk in 0..<padded.chunks {
                let d = i &* rowWidth &+ chunk &* lanes, p = source + (i &* pw &+ chunk &* lanes)
                let (g0, g1, g2) = (loadEight(d0 + d), loadEight(d1 + d), loadEight(d2 + d))
                let (x0, x1, x2, x3) = (loadEight(p), loadEight(p + 1), loadEight(p + 2), loadEight(p + 3))
                a00 = a00.addingProduct(g0, x0); a01 = a01.addingProduct(g0, x1); a02 = a02.addingProduct(g0, x2); a03 = a03.addingProduct(g0, x3)
                a10 = a10.addingProduct(g1, x0); a11 = a11.addingProduct(g1, x1); a12 = a12.addingProduct(g1, x2); a13 = a13.addingProduct(g1, x3)
                a20 = a20.addingProduct(g2, x0); a21 = a21.addingProduct(g2, x1); a22 = a22.addingProduct(g2, x2); a23 = a23.addingProduct(g2, x3)
            }
        }
        let tap: Int = (c &* g.kernelHeight &+ ki) &* g.kernelWidth &+ kj
        let w0: UnsafeMutablePointer<T> = dw + (o &* g.patch &+ tap)
        let (w1, w2) = (w0 + g.patch, w0 + 2 &* g.patch)
        w0[0] += a00.sum(); w0[1] += a01.sum(); w0[2] += a02.sum(); w0[3] += a03.sum()
        w1[0] += a10.sum(); w1[1] += a11.sum(); w1[2] += a12.sum(); w1[3] += a13.sum()
        w2[0] += a20.sum(); w2[1] += a21.sum(); w2[2] += a22.sum(); w2[3] += a23.sum()
    }

    /// ``weightGradientTap`` for output channels o, o + 1 and o + 2 at once: six chains (even and
    /// odd vectors of each channel, as there) instead of two, so the taps a 3 × 4 tile leaves over
    /// (LeNet's fifth column of taps) no longer wait on the multiply-add latency. The sums are the
    /// same, bit for bit.
    @inline(__always)
    private static func weightGradientTapTile<T: TensorScalar>(_ padded: PaddedImage<T>, _ gradient: UnsafeMutablePointer<T>, rowWidth: Int,
                                                               o: Int, c: Int, ki: Int, kj: Int, into dw: UnsafeMutablePointer<T>) {
        let g = padded.g, pw = padded.paddedWidth
        let (source, d0, d1, d2) = tileOperands(padded, gradient, rowWidth: rowWidth, o: o, c: c, ki: ki, kj: kj)
        var (even0, odd0, even1, odd1, even2, odd2) = (SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>())
        for i in 0..<g.outHeight {
            for chunk in 0..<padded.chunks {
                let d = i &* rowWidth &+ chunk &* lanes, x = loadEight(source + (i &* pw &+ chunk &* lanes))
                if chunk & 1 == 0 {
                    even0 = even0.addingProduct(loadEight(d0 + d), x); even1 = even1.addingProduct(loadEight(d1 + d), x); even2 = even2.addingProduct(loadEight(d2 + d), x)
                } else {
                    odd0 = odd0.addingProduct(loadEight(d0 + d), x); odd1 = odd1.addingProduct(loadEight(d1 + d), x); odd2 = odd2.addingProduct(loadEight(d2 + d), x)
                }
            }
        }
        let tap = (c &* g.kernelHeight &+ ki) &* g.kernelWidth &+ kj
        dw[o &* g.patch &+ tap] += (even0 + odd0).sum()
        dw[(o &+ 1) &* g.patch &+ tap] += (even1 + odd1).sum()
        dw[(o &+ 2) &* g.patch &+ tap] += (even2 + odd2).sum()
    }

    /// ∂w[o, c, ki, kj] += Σ over rows and vectors of ∂y · x for one image.
    @inline(__always)
    private static func weightGradientTap<T: TensorScalar>(_ padded: PaddedImage<T>, _ gradient: UnsafeMutablePointer<T>, rowWidth: Int,
                                                           o: Int, c: Int, ki: Int, kj: Int, into dw: UnsafeMutablePointer<T>) {
        let g = padded.g, pw = padded.paddedWidth
        let source = UnsafePointer(padded.buffer + ((c &* padded.rows &+ ki) &* pw &+ kj))
        let grad = UnsafePointer(gradient + o &* g.outHeight &* rowWidth)
        var (a0, a1) = (SIMD8<T>(), SIMD8<T>())
        for i in 0..<g.outHeight {
            for chunk in 0..<padded.chunks {
                let d = grad + (i &* rowWidth &+ chunk &* lanes), p = source + (i &* pw &+ chunk &* lanes)
                if chunk & 1 == 0 { a0 = a0.addingProduct(loadEight(d), loadEight(p)) } else { a1 = a1.addingProduct(loadEight(d), loadEight(p)) }
            }
        }
        dw[o &* g.patch &+ (c &* g.kernelHeight &+ ki) &* g.kernelWidth &+ kj] += (a0 + a1).sum()
    }
}
