extension Kernels {
    /// Whether ``pooledConvWeightGradient(_:_:_:_:)`` takes convolutions of geometry `g`: one input
    /// channel and a kernel of five rows of at most eight taps (LeNet's first layer on MNIST).
    static func pooledConvWeightGradientApplies(_ g: Conv2dGeometry) -> Bool {
        g.inChannels == 1 && g.kernelHeight == 5 && g.kernelWidth <= 8
    }

    /// ∂w [O, 1, 5, kw] and ∂b [O] of a convolution y = conv(x, w) + b followed by 2×2 max pooling
    /// with stride 2, from the pooled gradient ∂z (one value per window) and the pooling's routing,
    /// without forming ∂y: ∂y is ∂z at each window's argmax cell and 0 elsewhere, so
    ///
    ///     ∂w[o, 0, i, j] = Σ_windows ∂z_k · x_pad[n, r·s + i, q·s + j],   ∂b[o] = Σ_windows ∂z_k
    ///
    /// over the windows k of plane (n, o) whose argmax is output cell (r, q) (windows that route
    /// nothing are skipped): a quarter of the dense weight gradient's multiply-adds, and ∂y is
    /// never written. Each plane's windows are summed in five vector registers, one per kernel row
    /// (lanes past the kernel's width read the padded image and are dropped).
    ///
    /// The images are split into parts whose count does not depend on the thread count; each part
    /// sums its planes in order, and the parts' sums are added in part order, so the result does
    /// not depend on the thread count either.
    static func pooledConvWeightGradient<S: TensorScalar>(_ x: [S], _ pooled: [S], _ r: PoolRouting, _ g: Conv2dGeometry) -> (weight: [S], bias: [S]) {
        concrete(S.self,
                 float: {
                     let (w, b) = pooledConvWeightGradientImpl(cast(x, to: Float.self), cast(pooled, to: Float.self), r, g)
                     return (cast(w, to: S.self), cast(b, to: S.self))
                 },
                 double: {
                     let (w, b) = pooledConvWeightGradientImpl(cast(x, to: Double.self), cast(pooled, to: Double.self), r, g)
                     return (cast(w, to: S.self), cast(b, to: S.self))
                 },
                 generic: { pooledConvWeightGradientImpl(x, pooled, r, g) })
    }
}

/// The windows are 2×2 with stride 2: window (i, j)'s argmax is cell (2i + a, 2j + b) with
/// a, b ∈ {0, 1}, found without dividing.
private func pooledConvWeightGradientImpl<T: TensorScalar>(_ x: [T], _ pooled: [T], _ r: PoolRouting, _ g: Conv2dGeometry)
    -> (weight: [T], bias: [T]) {
    let (outs, kw) = (g.outChannels, g.kernelWidth)
    let (oh, ow, wo, cells) = (g.outHeight / 2, g.outWidth / 2, g.outWidth, g.outHeight * g.outWidth)
    let parts = partCount(g.batch, work: r.argmax.count * 5 * kw)
    let sums = UnsafeMutablePointer<SIMD8<T>>.allocate(capacity: parts * outs * 5)
    let biasSums = UnsafeMutablePointer<T>.allocate(capacity: parts * outs)
    sums.initialize(repeating: SIMD8(), count: parts * outs * 5)
    biasSums.initialize(repeating: 0, count: parts * outs)
    defer { sums.deallocate(); biasSums.deallocate() }
    x.withUnsafeBufferPointer { xp in pooled.withUnsafeBufferPointer { gp in r.argmax.withUnsafeBufferPointer { ap in
        guard let xb = xp.baseAddress, let gb = gp.baseAddress, let ab = ap.baseAddress else { return }
        forEachPart(g.batch, parts: parts) { part, images in
            let image = DirectConvolution.PaddedImage<T>(g)
            defer { image.deallocate() }
            for n in images {
                image.load(xb, image: n)
                for o in 0..<outs {
                    let plane: Int = n &* outs &+ o, first: Int = plane &* oh &* ow, slot: Int = part &* outs &+ o
                    fiveRowPlane(image, gb + first, ab + first, base: plane &* cells, oh: oh, ow: ow, wo: wo, stride: g.stride,
                                 into: sums + slot &* 5, bias: biasSums + slot)
                }
            }
        }
    } } }
    var weight = [T](repeating: 0, count: outs * 5 * kw), bias = [T](repeating: 0, count: outs)
    for part in 0..<parts {
        for row in 0..<(outs * 5) { for j in 0..<kw { weight[row * kw + j] += sums[part * outs * 5 + row][j] } }
        for o in 0..<outs { bias[o] += biasSums[part * outs + o] }
    }
    return (weight, bias)
}

/// One plane's windows: their sums in five registers (one per kernel row) and the bias's in a
/// sixth, added to `weights` [5] and `bias` at the end. Window (i, j)'s argmax is y's cell
/// (2i + down, 2j + right), found from its flat index (`base` is the plane's first cell) as
/// d = argmax − (2i·wo + 2j) = down·wo + right; its patch starts at padded cell
/// s·((2i + down)·pitch + 2j + right) = s·(2i·pitch + 2j + d + down·(pitch − wo)). Windows that
/// route nothing (−1) are skipped.
@inline(__always)
private func fiveRowPlane<T: TensorScalar>(_ image: DirectConvolution.PaddedImage<T>, _ grad: UnsafePointer<T>, _ argmax: UnsafePointer<Int32>, base: Int,
                                           oh: Int, ow: Int, wo: Int, stride: Int, into weights: UnsafeMutablePointer<SIMD8<T>>,
                                           bias: UnsafeMutablePointer<T>) {
    var (a0, a1, a2, a3, a4) = (SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>())
    var sum: T = 0
    let pitch = image.paddedWidth, slack = pitch &- wo, origin = UnsafePointer(image.buffer)
    for i in 0..<oh {
        let rowCell = base &+ 2 &* i &* wo, rowStart = 2 &* i &* pitch, windows = i &* ow
        for j in 0..<ow {
            let cell = Int(argmax[windows &+ j])
            guard cell >= 0 else { continue }
            let d = cell &- rowCell &- 2 &* j, dz = grad[windows &+ j]
            let source = origin + stride &* (rowStart &+ 2 &* j &+ d &+ (d >= wo ? slack : 0)), spread = SIMD8<T>(repeating: dz)
            sum += dz
            a0 = a0.addingProduct(spread, loadEight(source))
            a1 = a1.addingProduct(spread, loadEight(source + pitch))
            a2 = a2.addingProduct(spread, loadEight(source + 2 &* pitch))
            a3 = a3.addingProduct(spread, loadEight(source + 3 &* pitch))
            a4 = a4.addingProduct(spread, loadEight(source + 4 &* pitch))
        }
    }
    (weights[0], weights[1], weights[2], weights[3], weights[4]) = (weights[0] + a0, weights[1] + a1, weights[2] + a2, weights[3] + a3, weights[4] + a4)
    bias.pointee += sum
}
