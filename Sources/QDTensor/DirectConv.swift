/// Direct convolution for stride 1 and small patches (LeNet's first layer: 1 channel, 5×5, 6
/// outputs). There im2col + GEMM is a poor fit: the im2col matrix is 25× the image, written and
/// read again for the weight gradient, and a GEMM with 6 rows wastes most of its micro-kernel.
/// Here each image is zero-padded once, and each output row is accumulated in SIMD registers
/// straight from the padded rows, eight output columns at a time:
///
///     y[o, i, j..<j+8] = Σ_{c, ki, kj} w[o, c, ki, kj] · xpad[c, i + ki, j + kj ..< j + kj + 8]
///     ∂w[o, c, ki, kj] = Σ_{n, i, j} ∂y[n, o, i, j] · xpad[n, c, i + ki, j + kj]
///
/// The input gradient keeps the im2col form (it is only needed for small synthetic batches).
enum DirectConvolution {
    /// Output columns per vector.
    static let lanes = 8
    /// The largest patch C·kh·kw handled directly: every output vector costs one multiply-add per
    /// weight, so larger patches (LeNet's second layer: 150) do better as one GEMM on im2col.
    static let maximumPatch = 32

    /// Whether `g` takes the direct path.
    static func applies(_ g: Conv2dGeometry) -> Bool { g.stride == 1 && g.patch <= maximumPatch }

    /// Eight values from `p` on.
    @inline(__always)
    static func load<T: TensorScalar>(_ p: UnsafePointer<T>) -> SIMD8<T> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self) }

    /// The zero-padded planes of one image: C planes of (H + 2p) rows of `paddedWidth` columns,
    /// wide enough that every vector load of a row stays inside it.
    struct PaddedImage<T: TensorScalar> {
        let rows: Int, paddedWidth: Int, chunks: Int
        let buffer: UnsafeMutablePointer<T>
        let g: Conv2dGeometry

        init(_ g: Conv2dGeometry) {
            self.g = g
            chunks = (g.outWidth + DirectConvolution.lanes - 1) / DirectConvolution.lanes
            rows = g.height + 2 * g.padding
            paddedWidth = max(g.width + 2 * g.padding, g.kernelWidth - 1 + chunks * DirectConvolution.lanes)
            buffer = .allocate(capacity: g.inChannels * rows * paddedWidth)
            buffer.initialize(repeating: 0, count: g.inChannels * rows * paddedWidth)
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
    /// only). Four vectors of a row are accumulated side by side, so their multiply-add chains run
    /// in parallel.
    static func forward<T: TensorScalar>(_ x: UnsafePointer<T>, _ w: UnsafePointer<T>, bias: UnsafePointer<T>?, _ g: Conv2dGeometry,
                                          _ images: Range<Int>, _ out: UnsafeMutablePointer<T>) {
        let padded = PaddedImage<T>(g)
        defer { padded.deallocate() }
        let (oh, ow, pw, chunks) = (g.outHeight, g.outWidth, padded.paddedWidth, padded.chunks)
        /// Writes the lanes of `v` that fall inside the output row (all but the row's last vector are whole).
        @inline(__always) func store(_ v: SIMD8<T>, _ row: UnsafeMutablePointer<T>, chunk: Int) {
            let first = chunk &* lanes
            if first &+ lanes <= ow {
                UnsafeMutableRawPointer(row + first).storeBytes(of: v, as: SIMD8<T>.self)
            } else {
                for l in 0..<(ow &- first) { row[first &+ l] = v[l] }
            }
        }
        for n in images {
            padded.load(x, image: n)
            for o in 0..<g.outChannels {
                let weights = w + o &* g.patch
                let start = SIMD8<T>(repeating: bias?[o] ?? 0)
                for i in 0..<oh {
                    let row = out + ((n &* g.outChannels &+ o) &* oh &+ i) &* ow
                    var chunk = 0
                    while chunk &+ 4 <= chunks {
                        var (a0, a1, a2, a3) = (start, start, start, start)
                        var tap = 0
                        for c in 0..<g.inChannels { for ki in 0..<g.kernelHeight {
                            let rowIndex: Int = c &* padded.rows &+ i &+ ki
                            let source = UnsafePointer(padded.buffer + (rowIndex &* pw &+ chunk &* lanes))
                            for kj in 0..<g.kernelWidth {
                                let weight = weights[tap], p = source + kj
                                a0 = load(p) * weight + a0
                                a1 = load(p + lanes) * weight + a1
                                a2 = load(p + 2 &* lanes) * weight + a2
                                a3 = load(p + 3 &* lanes) * weight + a3
                                tap &+= 1
                            }
                        } }
                        store(a0, row, chunk: chunk); store(a1, row, chunk: chunk &+ 1)
                        store(a2, row, chunk: chunk &+ 2); store(a3, row, chunk: chunk &+ 3)
                        chunk &+= 4
                    }
                    while chunk < chunks {
                        var acc = start
                        var tap = 0
                        for c in 0..<g.inChannels { for ki in 0..<g.kernelHeight {
                            let rowIndex: Int = c &* padded.rows &+ i &+ ki
                            let source = UnsafePointer(padded.buffer + (rowIndex &* pw &+ chunk &* lanes))
                            for kj in 0..<g.kernelWidth {
                                acc = load(source + kj) * weights[tap] + acc
                                tap &+= 1
                            }
                        } }
                        store(acc, row, chunk: chunk)
                        chunk &+= 1
                    }
                }
            }
        }
    }

    /// Adds ∂w for `images` (x and ∂y [N, O, Ho, Wo]) into `dw` [O, C·kh·kw]. Each weight's sum runs
    /// over four output rows side by side (independent multiply-add chains).
    static func weightGradient<T: TensorScalar>(_ x: UnsafePointer<T>, _ dy: UnsafePointer<T>, _ g: Conv2dGeometry,
                                                 _ images: Range<Int>, into dw: UnsafeMutablePointer<T>) {
        let padded = PaddedImage<T>(g)
        defer { padded.deallocate() }
        let (oh, ow, pw, chunks, outs) = (g.outHeight, g.outWidth, padded.paddedWidth, padded.chunks, g.outChannels)
        // ∂y of one image with rows zero-padded to whole vectors, so columns past Wo add nothing
        let rowWidth = chunks * lanes
        let gradient = UnsafeMutablePointer<T>.allocate(capacity: outs * oh * rowWidth)
        gradient.initialize(repeating: 0, count: outs * oh * rowWidth)
        defer { gradient.deallocate() }
        for n in images {
            padded.load(x, image: n)
            for r in 0..<(outs * oh) { (gradient + r &* rowWidth).update(from: dy + (n &* outs &* oh &+ r) &* ow, count: ow) }
            for o in 0..<outs {
                let grad = UnsafePointer(gradient + o &* oh &* rowWidth)
                var tap = 0
                for c in 0..<g.inChannels { for ki in 0..<g.kernelHeight { for kj in 0..<g.kernelWidth {
                    let rowIndex: Int = c &* padded.rows &+ ki
                    let source = UnsafePointer(padded.buffer + (rowIndex &* pw &+ kj))
                    var (a0, a1, a2, a3) = (SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>())
                    for chunk in 0..<chunks {
                        let d = grad + chunk &* lanes, s = source + chunk &* lanes
                        var i = 0
                        while i &+ 4 <= oh {
                            a0 = load(d + i &* rowWidth) * load(s + i &* pw) + a0
                            a1 = load(d + (i &+ 1) &* rowWidth) * load(s + (i &+ 1) &* pw) + a1
                            a2 = load(d + (i &+ 2) &* rowWidth) * load(s + (i &+ 2) &* pw) + a2
                            a3 = load(d + (i &+ 3) &* rowWidth) * load(s + (i &+ 3) &* pw) + a3
                            i &+= 4
                        }
                        while i < oh {
                            a0 = load(d + i &* rowWidth) * load(s + i &* pw) + a0
                            i &+= 1
                        }
                    }
                    dw[o &* g.patch &+ tap] += ((a0 + a1) + (a2 + a3)).sum()
                    tap &+= 1
                } } }
            }
        }
    }
}
