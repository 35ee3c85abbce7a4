import Foundation

/// The geometry of a 2-D convolution: input [N, C, H, W], weight [O, C, kh, kw], stride and zero
/// padding, output [N, O, Ho, Wo] with Ho = (H + 2p − kh)/s + 1.
public struct Conv2dGeometry: Equatable, Sendable {
    /// The input's shape [N, C, H, W].
    public let batch, inChannels, height, width: Int
    /// The weight's shape [O, C, kh, kw] without its input channels.
    public let outChannels, kernelHeight, kernelWidth: Int
    /// The stride and the zero padding on each side, the same along both axes.
    public let stride, padding: Int

    /// Ho = (H + 2p − kh)/s + 1.
    public var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    /// Wo = (W + 2p − kw)/s + 1.
    public var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    /// Rows of an im2col matrix: C·kh·kw.
    var patch: Int { inChannels * kernelHeight * kernelWidth }
    /// Columns of one image's im2col matrix: Ho·Wo.
    var positions: Int { outHeight * outWidth }

    /// The same kernel on `count` images already zero-padded by `padding` cells on each side, with
    /// no padding left: the same output size and im2col rows.
    func prepadded(count: Int) -> Conv2dGeometry {
        Conv2dGeometry(batch: count, inChannels: inChannels, height: height + 2 * padding, width: width + 2 * padding,
                       outChannels: outChannels, kernelHeight: kernelHeight, kernelWidth: kernelWidth, stride: stride, padding: 0)
    }

    /// The convolution whose forward pass is this one's input gradient (stride 1, a square kernel,
    /// p < k): ∂y [N, O, Ho, Wo] in, C outputs, padding k − 1 − p, and the output H × W again.
    var transposed: Conv2dGeometry {
        Conv2dGeometry(batch: batch, inChannels: outChannels, height: outHeight, width: outWidth, outChannels: inChannels,
                       kernelHeight: kernelHeight, kernelWidth: kernelWidth, stride: 1, padding: kernelHeight - 1 - padding)
    }

    private init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int, kernelHeight: Int, kernelWidth: Int,
                 stride: Int, padding: Int) {
        (self.batch, self.inChannels, self.height, self.width) = (batch, inChannels, height, width)
        (self.outChannels, self.kernelHeight, self.kernelWidth) = (outChannels, kernelHeight, kernelWidth)
        (self.stride, self.padding) = (stride, padding)
    }

    var inputShape: [Int] { [batch, inChannels, height, width] }
    var weightShape: [Int] { [outChannels, inChannels, kernelHeight, kernelWidth] }
    var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }

    /// Checks the shapes; errors name what was expected.
    init(input: [Int], weight: [Int], stride: Int, padding: Int) throws {
        guard input.count == 4, weight.count == 4 else {
            throw TensorError.shape("conv2d needs input [N, C, H, W] and weight [O, C, kh, kw]; got \(input) and \(weight)")
        }
        guard input[1] == weight[1] else {
            throw TensorError.shape("conv2d: input has \(input[1]) channel(s), the weight expects \(weight[1]) (input \(input), weight \(weight))")
        }
        guard stride >= 1, padding >= 0 else { throw TensorError.argument("conv2d: stride \(stride) must be ≥ 1 and padding \(padding) ≥ 0") }
        guard input[2] + 2 * padding >= weight[2], input[3] + 2 * padding >= weight[3] else {
            throw TensorError.shape("conv2d: kernel \(weight[2])×\(weight[3]) is larger than the padded input \(input[2] + 2 * padding)×\(input[3] + 2 * padding)")
        }
        (batch, inChannels, height, width) = (input[0], input[1], input[2], input[3])
        (outChannels, kernelHeight, kernelWidth) = (weight[0], weight[2], weight[3])
        (self.stride, self.padding) = (stride, padding)
    }
}

/// Images per chunk: at most 2,048 columns and 2¹⁹ values (2 MB of Float), so the chunk's im2col
/// block stays in the L2 cache, and a batch splits into enough chunks for the threads to share
/// evenly (LeNet's second layer, on the direct path: 20 images). AlexCifarNet's second layer,
/// 1,600 × 256 values per image, takes one image per chunk; eight, its old share of 2,048 columns,
/// made a 13 MB block, and its distillation ran 15% slower on two threads.
private func chunkImages(_ g: Conv2dGeometry) -> Int {
    max(1, min(g.batch, 2048 / max(1, g.positions), (1 << 19) / max(1, g.patch * g.positions)))
}

/// Runs `body(worker, run, images)` over the chunks of the batch, split into `runs` runs of
/// consecutive chunks (default: one chunk each). One worker takes a run's chunks in order, and runs
/// spread over threads when there is enough work (about 2·10⁶ multiply-adds, some 50 µs); see
/// ``forEachClaimed(_:_:)``.
private func forEachChunk(_ g: Conv2dGeometry, runs: Int? = nil, _ body: (_ worker: Int, _ run: Int, _ images: Range<Int>) -> Void) {
    let per = chunkImages(g), chunks = chunkCount(g), runs = runs ?? chunks
    let work = g.batch * g.outChannels * g.positions * g.patch
    forEachClaimed(runs, threads: work >= 1 << 21 ? TensorThreads.count : 1) { worker, run in
        for c in (chunks * run / runs)..<(chunks * (run + 1) / runs) { body(worker, run, (c * per)..<min(g.batch, (c + 1) * per)) }
    }
}

/// The number of chunks of ``chunkImages(_:)`` images in the batch.
private func chunkCount(_ g: Conv2dGeometry) -> Int { (g.batch + chunkImages(g) - 1) / chunkImages(g) }

/// The output columns oj whose input column j = oj·s − p + kj lies inside 0..<w.
@inline(__always)
private func validColumns(_ g: Conv2dGeometry, _ kj: Int) -> Range<Int> {
    let lo = max(0, (g.padding - kj + g.stride - 1) / g.stride)
    let hi = min(g.outWidth, (g.width - 1 + g.padding - kj) / g.stride + 1)
    return lo..<max(lo, hi)
}

/// Walks the rows of an im2col matrix for `images`: for every (channel, ki, kj), image and output
/// row oi, calls `body(dst, src, valid)` with `dst` the offset of that output row in the matrix,
/// `src` the offset in the images of input row i = oi·s − p + ki shifted by kj − p (nil when the
/// row is padding), and `valid` the output columns that read inside the image.
@inline(__always)
private func forEachPatchRow(_ g: Conv2dGeometry, _ images: Range<Int>, _ body: (Int, Int?, Range<Int>) -> Void) {
    let p = g.positions, width = images.count * p
    for c in 0..<g.inChannels { for ki in 0..<g.kernelHeight { for kj in 0..<g.kernelWidth {
        let row = ((c * g.kernelHeight + ki) * g.kernelWidth + kj) * width
        let valid = validColumns(g, kj)
        for (ii, n) in images.enumerated() {
            let plane = (n * g.inChannels + c) * g.height * g.width
            for oi in 0..<g.outHeight {
                let i = oi * g.stride - g.padding + ki
                let inside = i >= 0 && i < g.height
                body(row + ii * p + oi * g.outWidth, inside ? plane + i * g.width - g.padding + kj : nil, valid)
            }
        }
    } } }
}

/// ``forEachPatchRow`` for stride 1 without padding (LeNet's second layer), where every row lies
/// inside the image: `body(dst, src)` for each row, with the offsets stepped rather than recomputed.
@inline(__always)
private func forEachUnpaddedPatchRow(_ g: Conv2dGeometry, _ images: Range<Int>, _ body: (Int, Int) -> Void) {
    let p = g.positions, width = images.count &* p, (oh, ow, w) = (g.outHeight, g.outWidth, g.width)
    for c in 0..<g.inChannels { for ki in 0..<g.kernelHeight { for kj in 0..<g.kernelWidth {
        var dst = ((c &* g.kernelHeight &+ ki) &* g.kernelWidth &+ kj) &* width
        for n in images {
            var src = ((n &* g.inChannels &+ c) &* g.height &+ ki) &* w &+ kj
            for _ in 0..<oh { body(dst, src); dst &+= ow; src &+= w }
        }
    } } }
}

/// im2col of images `images` into `cols` [patch, images.count·positions]: padding cells are zero,
/// the rest is copied. With stride 1 every row is an inline vector copy (rows are short, 10 values
/// in LeNet's second layer, where a `memcpy` call per row costs more than the copy), from a padded
/// copy of the images when there is padding (AlexCifarNet's layers).
private func im2col<S: TensorScalar>(_ x: UnsafePointer<S>, _ g: Conv2dGeometry, _ images: Range<Int>, _ cols: UnsafeMutablePointer<S>) {
    if g.stride == 1 && g.padding > 0 {
        withPrepaddedImages(g, images) { block, gp in
            copyInside(x, g, images, block)
            forEachUnpaddedPatchRow(gp, 0..<images.count) { dst, src in copyShortRow(cols + dst, block + src, g.outWidth) }
        }
        return
    }
    if g.stride == 1 && g.padding == 0 {
        forEachUnpaddedPatchRow(g, images) { dst, src in copyShortRow(cols + dst, x + src, g.outWidth) }
        return
    }
    forEachPatchRow(g, images) { dstOffset, srcOffset, valid in
        let dst = cols + dstOffset
        guard let so = srcOffset, !valid.isEmpty else { dst.update(repeating: 0, count: g.outWidth); return }
        if valid.lowerBound > 0 { dst.update(repeating: 0, count: valid.lowerBound) }
        if valid.upperBound < g.outWidth { (dst + valid.upperBound).update(repeating: 0, count: g.outWidth - valid.upperBound) }
        let src = x + so
        for oj in valid { dst[oj] = src[oj * g.stride] }
    }
}

/// col2im: adds `cols` [patch, images.count·positions] back into the images (the transpose of im2col).
private func col2im<S: TensorScalar>(_ cols: UnsafePointer<S>, _ g: Conv2dGeometry, _ images: Range<Int>, _ x: UnsafeMutablePointer<S>) {
    if g.stride == 1 && g.padding > 0 {
        withPrepaddedImages(g, images) { block, gp in
            forEachUnpaddedPatchRow(gp, 0..<images.count) { src, dst in addShortRow(block + dst, cols + src, g.outWidth) }
            addInside(block, g, images, x)
        }
        return
    }
    if g.stride == 1 && g.padding == 0 {
        forEachUnpaddedPatchRow(g, images) { src, dst in addShortRow(x + dst, cols + src, g.outWidth) }
        return
    }
    forEachPatchRow(g, images) { srcOffset, dstOffset, valid in
        guard let d = dstOffset else { return }
        let src = cols + srcOffset, dst = x + d
        for oj in valid { dst[oj * g.stride] += src[oj] }
    }
}

/// Calls `body(block, gp)` with a zeroed scratch block for `images` padded by g.padding cells on
/// each side ([count, C, H + 2p, W + 2p]) and the unpadded geometry `gp` of that block. With the
/// padding in the block, every im2col row of a stride-1 convolution is a straight copy (and every
/// col2im row a straight sum), without the per-row edge cases of ``forEachPatchRow``.
private func withPrepaddedImages<S: TensorScalar>(_ g: Conv2dGeometry, _ images: Range<Int>,
                                                   _ body: (UnsafeMutablePointer<S>, Conv2dGeometry) -> Void) {
    let gp = g.prepadded(count: images.count), size = images.count * g.inChannels * gp.height * gp.width
    let block = UnsafeMutablePointer<S>.allocate(capacity: size)
    block.initialize(repeating: 0, count: size)
    defer { block.deallocate() }
    body(block, gp)
}

/// Calls `body(inside, outside)` for every row of every plane of `images`: `inside` is the row's
/// offset in the padded block, `outside` its offset in the images (rows are W values long).
@inline(__always)
private func forEachInsideRow(_ g: Conv2dGeometry, _ images: Range<Int>, _ body: (Int, Int) -> Void) {
    let (pw, ph, p) = (g.width + 2 * g.padding, g.height + 2 * g.padding, g.padding)
    for (ii, n) in images.enumerated() { for c in 0..<g.inChannels {
        let plane = (ii * g.inChannels + c) * ph * pw, source = (n * g.inChannels + c) * g.height * g.width
        for r in 0..<g.height { body(plane + (r + p) * pw + p, source + r * g.width) }
    } }
}

/// Copies `images` of x inside the zero border of a block from ``withPrepaddedImages(_:_:_:)``.
private func copyInside<S: TensorScalar>(_ x: UnsafePointer<S>, _ g: Conv2dGeometry, _ images: Range<Int>, _ block: UnsafeMutablePointer<S>) {
    forEachInsideRow(g, images) { inside, outside in copyShortRow(block + inside, x + outside, g.width) }
}

/// Adds the inside of a padded block back into `images` of x (its border, the padding, is dropped).
private func addInside<S: TensorScalar>(_ block: UnsafePointer<S>, _ g: Conv2dGeometry, _ images: Range<Int>, _ x: UnsafeMutablePointer<S>) {
    forEachInsideRow(g, images) { inside, outside in addShortRow(x + outside, block + inside, g.width) }
}

/// dst[0..<n] = src[0..<n] in eight-wide vectors; the last vector overlaps the one before it
/// when n is not a multiple of eight (rewriting a few values with the same values).
@inline(__always)
private func copyShortRow<S: TensorScalar>(_ dst: UnsafeMutablePointer<S>, _ src: UnsafePointer<S>, _ n: Int) {
    guard n >= 8 else { for j in 0..<n { dst[j] = src[j] }; return }
    var j = 0
    while j &+ 8 <= n {
        storeVector(loadEight(src + j), to: dst + j)
        j &+= 8
    }
    if j < n {
        let last = n &- 8
        storeVector(loadEight(src + last), to: dst + last)
    }
}

/// dst[0..<n] += src[0..<n], eight at a time, then one by one.
@inline(__always)
private func addShortRow<S: TensorScalar>(_ dst: UnsafeMutablePointer<S>, _ src: UnsafePointer<S>, _ n: Int) {
    var j = 0
    while j &+ 8 <= n {
        storeVector(loadEight(dst + j) + loadEight(src + j), to: dst + j)
        j &+= 8
    }
    while j < n { dst[j] += src[j]; j &+= 1 }
}

/// Convolution and its two gradients. The three are linear in each argument and transposes of
/// one another, so each one's backward rule is written with the other two (skipping the
/// gradient of an argument that needs none, such as the real images):
///
///     y = conv(x, w)          ∂x = convInputGrad(g, w),   ∂w = convWeightGrad(x, g)
///     y = convInputGrad(g, w) ∂g = conv(G, w),            ∂w = convWeightGrad(G, g)
///     y = convWeightGrad(x,g) ∂x = convInputGrad(g, G),   ∂g = conv(x, G)
extension Tensor {
    /// 2-D convolution (cross-correlation, as PyTorch) of x [N, C, H, W] with w [O, C, kh, kw],
    /// plus an optional bias [O] (added as the outputs are written; its gradient is ∂L/∂y summed
    /// over images and positions). Per chunk of images, chunks spread over threads: a direct
    /// kernel where one fits (``DirectConvolution``, ``ChannelLaneConvolution``), else im2col + GEMM.
    public func conv2d(_ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) throws -> Tensor {
        let g = try Conv2dGeometry(input: shape, weight: weight.shape, stride: stride, padding: padding)
        if let b = bias, b.shape != [g.outChannels] {
            throw TensorError.shape("conv2d: bias has shape \(b.shape); expected [\(g.outChannels)]")
        }
        let output = Kernels.convForward(values, weight.values, bias: bias?.values, g)
        // the input gradient, and the weight and bias gradients, in two pieces that a parallel
        // backward pass runs side by side
        return Tensor.record(Tensor(unchecked: g.outputShape, output), [self, weight] + (bias.map { [$0] } ?? []), pieces: [
            ([0], { grad in [self.needsGradient ? try grad.conv2dInputGrad(weight, g) : nil] }),
            (bias == nil ? [1] : [1, 2], { grad in
                [weight.needsGradient ? try self.conv2dWeightGrad(grad, g) : nil,
                 bias?.needsGradient == true ? try grad.sum(axes: [0, 2, 3]) : nil]
            }),
        ])
    }

    /// ∂L/∂x of a convolution, given ∂L/∂y = self [N, O, Ho, Wo] and the weight.
    func conv2dInputGrad(_ weight: Tensor, _ g: Conv2dGeometry) throws -> Tensor {
        let result = Tensor(unchecked: g.inputShape, Kernels.convInputGrad(values, weight.values, g))
        return Tensor.record(result, [self, weight], pieces: [
            ([0], { gx in [self.needsGradient ? try gx.conv2d(weight, stride: g.stride, padding: g.padding) : nil] }),
            ([1], { gx in [weight.needsGradient ? try gx.conv2dWeightGrad(self, g) : nil] }),
        ])
    }

    /// ∂L/∂w of a convolution of x = self, given ∂L/∂y.
    func conv2dWeightGrad(_ grad: Tensor, _ g: Conv2dGeometry) throws -> Tensor {
        let result = Tensor(unchecked: g.weightShape, Kernels.convWeightGrad(values, grad.values, g))
        return Tensor.record(result, [self, grad], pieces: [
            ([0], { gw in [self.needsGradient ? try grad.conv2dInputGrad(gw, g) : nil] }),
            ([1], { gw in [grad.needsGradient ? try self.conv2d(gw, stride: g.stride, padding: g.padding) : nil] }),
        ])
    }
}

/// y = conv(x, w) + b, per chunk of images: the direct kernels where they fit, else im2col, then one
/// GEMM per image straight into its output planes, which start at the bias (the columns of image ii
/// are columns ii·P ..< (ii+1)·P of the chunk's matrix). The im2col blocks are not kept for the
/// weight gradient, which rebuilds them chunk by chunk: a rebuilt block is still in the cache,
/// while a kept one is written out and read back from memory (when LeNet's second layer took this
/// path, its blocks made 10 MB at 256 images, and D2 ran about 10% slower with them kept).
func convForwardKernel<Scalar: TensorScalar>(_ x: [Scalar], _ w: [Scalar], bias: [Scalar]?, _ g: Conv2dGeometry) -> [Scalar] {
    let per = chunkImages(g), p = g.positions
    return Kernels.filled(g.outputShape.reduce(1, *)) { (op: UnsafeMutableBufferPointer<Scalar>) in
        x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in (bias ?? []).withUnsafeBufferPointer { bp in
            let (xb, wb, ob, bb) = (xp.baseAddress!, wp.baseAddress!, op.baseAddress!, bias == nil ? nil : bp.baseAddress)
            forEachChunk(g) { _, _, images in
                if DirectConvolution.applies(g) { DirectConvolution.forward(xb, wb, bias: bb, g, images, ob); return }
                if ChannelLaneConvolution.applies(g) { ChannelLaneConvolution.forward(xb, wb, bias: bb, g, images, ob); return }
                let cols = UnsafeMutablePointer<Scalar>.allocate(capacity: g.patch * per * p)
                defer { cols.deallocate() }
                im2col(xb, g, images, cols)
                let width = images.count * p
                for (ii, n) in images.enumerated() {
                    // Y_n [O, P] = b·1ᵀ + W [O, patch] · cols_n [patch, P]
                    let planes = ob + n * g.outChannels * p
                    if let bb { for o in 0..<g.outChannels { (planes + o * p).update(repeating: bb[o], count: p) } }
                    Scalar.gemm(transposeA: false, transposeB: false, m: g.outChannels, n: p, k: g.patch, alpha: 1,
                                a: wb, lda: g.patch, b: cols + ii * p, ldb: width, beta: bb == nil ? 0 : 1, c: planes, ldc: p)
                }
            }
        } } }
    }
}

extension Kernels {
    /// maxPool2d(conv2d(x, w) + b) with 2×2 windows and stride 2, and each window's argmax cell
    /// (a flat index into the convolution's output), without forming that output: the same values
    /// and cells as ``convForward(_:_:bias:_:)`` followed by ``maxPool(_:_:)``. Nil where no fused
    /// kernel applies (``DirectConvolution/appliesPooled(_:)``, with the AVX-512 kernels on, for
    /// Float).
    static func convForwardMaxPooled<S: TensorScalar>(_ x: [S], _ w: [S], bias: [S]?, _ g: Conv2dGeometry,
                                                      rectified: Bool) -> (maxima: [S], argmax: [Int32])? {
        guard DirectConvolution.appliesPooled(g), WideKernels.run(for: S.self) else { return nil }
        var argmax = [Int32](repeating: 0, count: g.batch * g.outChannels * (g.outHeight / 2) * (g.outWidth / 2))
        let maxima = filled(argmax.count) { (op: UnsafeMutableBufferPointer<S>) in
            x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in (bias ?? []).withUnsafeBufferPointer { bp in
                argmax.withUnsafeMutableBufferPointer { ap in
                    let (xb, wb, bb, ob, ab) = (xp.baseAddress!, wp.baseAddress!, bias == nil ? nil : bp.baseAddress, op.baseAddress!, ap.baseAddress!)
                    forEachChunk(g) { _, _, images in
                        DirectConvolution.forwardPooled(xb, wb, bias: bb, g, rectified: rectified, images, pooled: ob, argmax: ab)
                    }
                }
            } } }
        }
        return (maxima, argmax)
    }
}

/// ∂x = Wᵀ·dY per chunk of images: the forward pass of the transposed convolution where
/// ``DirectConvolution`` fits, ``ChannelLaneConvolution`` where it fits, else one GEMM per image
/// into the chunk's columns, then col2im.
func convInputGradKernel<Scalar: TensorScalar>(_ dy: [Scalar], _ w: [Scalar], _ g: Conv2dGeometry) -> [Scalar] {
    if DirectConvolution.appliesToInputGradient(g) {
        let t = g.transposed, flipped = DirectConvolution.flippedTranspose(w, g)
        return Kernels.filled(g.inputShape.reduce(1, *)) { (xp: UnsafeMutableBufferPointer<Scalar>) in
            dy.withUnsafeBufferPointer { dp in flipped.withUnsafeBufferPointer { fp in
                let (db, fb, xb) = (dp.baseAddress!, fp.baseAddress!, xp.baseAddress!)
                forEachChunk(t) { _, _, images in DirectConvolution.forward(db, fb, bias: nil, t, images, xb) }
            } }
        }
    }
    var dx = Kernels.repeating(Scalar(0), count: g.inputShape.reduce(1, *))
    let per = chunkImages(g), p = g.positions
    dy.withUnsafeBufferPointer { dp in w.withUnsafeBufferPointer { wp in dx.withUnsafeMutableBufferPointer { xp in
        let (db, wb, xb) = (dp.baseAddress!, wp.baseAddress!, xp.baseAddress!)
        forEachChunk(g) { _, _, images in
            if ChannelLaneConvolution.applies(g) { ChannelLaneConvolution.inputGradient(db, wb, g, images, xb); return }
            let cols = UnsafeMutablePointer<Scalar>.allocate(capacity: g.patch * per * p)
            defer { cols.deallocate() }
            let width = images.count * p
            for (ii, n) in images.enumerated() {
                // cols_n [patch, P] = Wᵀ [patch, O] · dY_n [O, P]
                Scalar.gemm(transposeA: true, transposeB: false, m: g.patch, n: p, k: g.outChannels, alpha: 1,
                            a: wb, lda: g.patch, b: db + n * g.outChannels * p, ldb: p, beta: 0, c: cols + ii * p, ldc: width)
            }
            col2im(cols, g, images, xb)
        }
    } } }
    return dx
}

/// ∂W = Σ dY_n·cols_nᵀ over the images, from the direct kernels where they fit, else with each
/// chunk's im2col block rebuilt. The chunks are split into at most eight runs, each summed into
/// its own partial in chunk order and image order, and the partials are added in run order: the
/// result does not depend on the thread count, and the partials stay small (a slice of 256 images
/// has 256 chunks in AlexCifarNet's second layer, whose weight has 102,400 values). The GEMM path
/// accumulates the transpose,
/// ∂Wᵀ [patch, O] += cols_n [patch, P] · dY_nᵀ [P, O], with dY_n transposed per image: OpenBLAS's
/// small-matrix kernels run that orientation about twice as fast as dY_n · cols_nᵀ.
func convWeightGradKernel<Scalar: TensorScalar>(_ x: [Scalar], _ dy: [Scalar], _ g: Conv2dGeometry) -> [Scalar] {
    let per = chunkImages(g), p = g.positions, outs = g.outChannels, size = outs * g.patch
    let runs = max(1, min(chunkCount(g), 8)), workers = min(TensorThreads.count, runs)
    let direct = DirectConvolution.applies(g), lanes = ChannelLaneConvolution.applies(g)
    var partial = Kernels.repeating(Scalar(0), count: runs * size)
    // per-worker scratch: an im2col block and one image's transposed ∂y
    let cols = !direct && !lanes ? (0..<workers).map { _ in UnsafeMutablePointer<Scalar>.allocate(capacity: g.patch * per * p) } : []
    let transposed = !direct ? (0..<workers).map { _ in UnsafeMutablePointer<Scalar>.allocate(capacity: p * outs) } : []
    defer { cols.forEach { $0.deallocate() }; transposed.forEach { $0.deallocate() } }
    x.withUnsafeBufferPointer { xp in dy.withUnsafeBufferPointer { dp in
        partial.withUnsafeMutableBufferPointer { partials in
            let (xb, db, pb) = (xp.baseAddress!, dp.baseAddress!, partials.baseAddress!)
            forEachChunk(g, runs: runs) { worker, run, images in
                let acc = pb + run * size
                if direct {
                    DirectConvolution.weightGradient(xb, db, g, images, into: acc)
                    return
                }
                if lanes {
                    ChannelLaneConvolution.weightGradient(xb, db, g, images, transposing: transposed[worker], into: acc)
                    return
                }
                let width = images.count * p, block = cols[worker]
                im2col(xb, g, images, block)
                let t = transposed[worker]
                for (ii, n) in images.enumerated() {
                    transpose(db + n * outs * p, rows: outs, columns: p, into: t)
                    // ∂Wᵀ [patch, O] += cols_n [patch, P] · dY_nᵀ [P, O]
                    Scalar.gemm(transposeA: false, transposeB: false, m: g.patch, n: outs, k: p, alpha: 1,
                                a: block + ii * p, lda: width, b: t, ldb: outs, beta: 1, c: acc, ldc: outs)
                }
            }
        }
    } }
    var dw = Array(partial[0..<size])
    for run in 1..<runs { for k in 0..<size { dw[k] += partial[run * size + k] } }
    guard !direct else { return dw }
    return Kernels.filled(size) { out in
        dw.withUnsafeBufferPointer { transpose($0.baseAddress!, rows: g.patch, columns: outs, into: out.baseAddress!) }
    }
}

/// t [columns, rows] = aᵀ for a [rows, columns], sixteen columns of a at a time, so the sixteen
/// rows of t being written stay in the L1 cache.
func transpose<S: TensorScalar>(_ a: UnsafePointer<S>, rows: Int, columns: Int, into t: UnsafeMutablePointer<S>) {
    for q0 in stride(from: 0, to: columns, by: 16) {
        let band = q0..<min(columns, q0 + 16)
        for r in 0..<rows { for q in band { t[q * rows + r] = a[r * columns + q] } }
    }
}

extension Kernels {
    static func convForward<S: TensorScalar>(_ x: [S], _ w: [S], bias: [S]?, _ g: Conv2dGeometry) -> [S] {
        concrete(S.self,
                 float: { cast(convForwardKernel(cast(x, to: Float.self), cast(w, to: Float.self), bias: bias.map { cast($0, to: Float.self) }, g), to: S.self) },
                 double: { cast(convForwardKernel(cast(x, to: Double.self), cast(w, to: Double.self), bias: bias.map { cast($0, to: Double.self) }, g),
                                to: S.self) },
                 generic: { convForwardKernel(x, w, bias: bias, g) })
    }

    static func convInputGrad<S: TensorScalar>(_ dy: [S], _ w: [S], _ g: Conv2dGeometry) -> [S] {
        concrete(S.self,
                 float: { cast(convInputGradKernel(cast(dy, to: Float.self), cast(w, to: Float.self), g), to: S.self) },
                 double: { cast(convInputGradKernel(cast(dy, to: Double.self), cast(w, to: Double.self), g), to: S.self) },
                 generic: { convInputGradKernel(dy, w, g) })
    }

    static func convWeightGrad<S: TensorScalar>(_ x: [S], _ dy: [S], _ g: Conv2dGeometry) -> [S] {
        concrete(S.self,
                 float: { cast(convWeightGradKernel(cast(x, to: Float.self), cast(dy, to: Float.self), g), to: S.self) },
                 double: { cast(convWeightGradKernel(cast(x, to: Double.self), cast(dy, to: Double.self), g), to: S.self) },
                 generic: { convWeightGradKernel(x, dy, g) })
    }
}
