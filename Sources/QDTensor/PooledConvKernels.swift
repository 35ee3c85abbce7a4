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

private func pooledConvWeightGradientImpl<T: TensorScalar>(_ x: [T], _ pooled: [T], _ r: PoolRouting, _ g: Conv2dGeometry)
    -> (weight: [T], bias: [T]) {
    let (outs, kw) = (g.outChannels, g.kernelWidth)
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
            let routed = RoutedWindows(g, pitch: image.paddedWidth)
            for n in images {
                image.load(xb, image: n)
                for o in 0..<outs {
                    let plane: Int = n &* outs &+ o, first: Int = plane &* routed.windows, slot: Int = part &* outs &+ o
                    fiveRowPlane(UnsafePointer(image.buffer), routed, plane: plane, gb + first, ab + first, into: sums + slot &* 5, bias: biasSums + slot)
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
/// sixth, added to `weights` [5] and `bias` at the end (lanes past the kernel's width read the
/// padded image and are dropped).
@inline(__always)
private func fiveRowPlane<T: TensorScalar>(_ image: UnsafePointer<T>, _ routed: RoutedWindows, plane: Int, _ grad: UnsafePointer<T>,
                                           _ argmax: UnsafePointer<Int32>, into weights: UnsafeMutablePointer<SIMD8<T>>,
                                           bias: UnsafeMutablePointer<T>) {
    var (a0, a1, a2, a3, a4) = (SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>())
    var sum: T = 0
    let pitch = routed.pitch
    routed.forEach(plane: plane, argmax) { k, offset in
        let dz = grad[k], spread = SIMD8<T>(repeating: dz), source = image + offset
        sum += dz
        a0 = a0.addingProduct(spread, loadEight(source))
        a1 = a1.addingProduct(spread, loadEight(source + pitch))
        a2 = a2.addingProduct(spread, loadEight(source + 2 &* pitch))
        a3 = a3.addingProduct(spread, loadEight(source + 3 &* pitch))
        a4 = a4.addingProduct(spread, loadEight(source + 4 &* pitch))
    }
    (weights[0], weights[1], weights[2], weights[3], weights[4]) = (weights[0] + a0, weights[1] + a1, weights[2] + a2, weights[3] + a3, weights[4] + a4)
    bias.pointee += sum
}

/// The 2×2 windows (stride 2) of a convolution's output planes and where the patch under each
/// one's argmax starts in the padded input (rows `pitch` apart). Window (i, j)'s argmax is output
/// cell (2i + down, 2j + right), found from its flat index without dividing: with `base` the
/// plane's first cell, d = argmax − base − (2i·Wo + 2j) = down·Wo + right, and its patch starts at
/// padded cell s·((2i + down)·pitch + 2j + right) = s·(2i·pitch + 2j + d + down·(pitch − Wo)).
private struct RoutedWindows {
    let rows: Int, columns: Int, outWidth: Int, planeCells: Int, pitch: Int, stride: Int
    /// Windows per plane.
    var windows: Int { rows * columns }

    init(_ g: Conv2dGeometry, pitch: Int) {
        (rows, columns, outWidth, planeCells) = (g.outHeight / 2, g.outWidth / 2, g.outWidth, g.outHeight * g.outWidth)
        (self.pitch, stride) = (pitch, g.stride)
    }

    /// Calls `body(k, offset)` for each window k of plane `plane` (0 ..< ``windows``) that routes
    /// a value, in order; `argmax` holds the plane's windows' cells, and `offset` is the padded
    /// cell where the patch under window k's argmax starts.
    @inline(__always)
    func forEach(plane: Int, _ argmax: UnsafePointer<Int32>, _ body: (_ k: Int, _ offset: Int) -> Void) {
        let base = plane &* planeCells, slack = pitch &- outWidth
        for i in 0..<rows {
            let rowCell = base &+ 2 &* i &* outWidth, rowStart = 2 &* i &* pitch, first = i &* columns
            for j in 0..<columns {
                let cell = Int(argmax[first &+ j])
                guard cell >= 0 else { continue }
                let d = cell &- rowCell &- 2 &* j
                body(first &+ j, stride &* (rowStart &+ 2 &* j &+ d &+ (d >= outWidth ? slack : 0)))
            }
        }
    }
}

extension Kernels {
    /// Σ over the windows of each channel o that route a value (argmax ≥ 0) of v_k, images in
    /// order, each image's windows in order: the adjoint of ``routedSpread(_:_:)`` (which runs in
    /// third derivatives only; the bias gradient itself comes from
    /// ``pooledConvWeightGradient(_:_:_:_:)``'s pass).
    static func routedChannelSum<S: TensorScalar>(_ v: [S], _ r: PoolRouting) -> [S] {
        let (planes, windows) = (r.planes, r.outputPlane), outs = r.inputShape[1]
        var sums = [S](repeating: 0, count: outs)
        v.withUnsafeBufferPointer { vp in r.argmax.withUnsafeBufferPointer { ap in
            for plane in 0..<planes {
                for k in (plane &* windows)..<((plane &+ 1) &* windows) where ap[k] >= 0 { sums[plane % outs] += vp[k] }
            }
        } }
        return sums
    }

    /// b[o] at every window of channel o that routes a value, 0 elsewhere: the adjoint of
    /// ``routedChannelSum(_:_:)``.
    static func routedSpread<S: TensorScalar>(_ b: [S], _ r: PoolRouting) -> [S] {
        let (planes, windows) = (r.planes, r.outputPlane), outs = r.inputShape[1]
        return filled(r.argmax.count) { (out: UnsafeMutableBufferPointer<S>) in
            r.argmax.withUnsafeBufferPointer { ap in
                for plane in 0..<planes {
                    let value = b[plane % outs]
                    for k in (plane &* windows)..<((plane &+ 1) &* windows) { out[k] = ap[k] >= 0 ? value : 0 }
                }
            }
        }
    }
}
