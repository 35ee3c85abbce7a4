/// Max and average pooling over [N, C, H, W]. Max pooling is a gather at the argmax positions
/// (found without gradient), so its backward is a scatter-add and its second derivative a gather;
/// average pooling is linear, paired with its transpose.
extension Tensor {
    func poolGeometry(kernel: Int, stride: Int, padding: Int = 0, op: String) throws -> (n: Int, c: Int, h: Int, w: Int, oh: Int, ow: Int) {
        guard rank == 4 else { throw TensorError.shape("\(op) needs [N, C, H, W]; got \(shape)") }
        guard kernel >= 1, stride >= 1, padding >= 0, padding <= kernel / 2 else {
            throw TensorError.argument("\(op): kernel \(kernel) and stride \(stride) must be ≥ 1, padding \(padding) in 0...\(kernel / 2)")
        }
        guard shape[2] + 2 * padding >= kernel, shape[3] + 2 * padding >= kernel else {
            throw TensorError.shape("\(op): kernel \(kernel) is larger than the padded input \(shape[2] + 2 * padding)×\(shape[3] + 2 * padding)")
        }
        return (shape[0], shape[1], shape[2], shape[3],
                (shape[2] + 2 * padding - kernel) / stride + 1, (shape[3] + 2 * padding - kernel) / stride + 1)
    }

    /// Max over kernel×kernel windows moved by `stride` (default: the kernel size); padding cells
    /// count as −∞, and a window holding NaN has NaN as its maximum (its last NaN in row-major
    /// order routes the gradient), as in PyTorch. With `rectified`, each window's maximum is also
    /// compared with 0: ReLU after pooling in one pass (the two commute: max(ReLU(x)) =
    /// ReLU(max(x)), gradients included; NaN stays NaN).
    ///
    /// The result is x gathered at each window's argmax (found without gradient, in one pass with
    /// the maxima); a window whose rectified maximum is the 0 routes no gradient. Its backward
    /// scatters to the argmax cells, and the scatter's backward gathers from them, so every order
    /// of derivative is exact.
    public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0, rectified: Bool = false) throws -> Tensor {
        try maxPool2d(kernel: kernel, stride: stride ?? kernel, padding: padding, rectified: rectified, op: "maxPool2d")
    }

    /// ``maxPool2d(kernel:stride:padding:rectified:)`` with `op` naming the operation in errors.
    func maxPool2d(kernel: Int, stride: Int, padding: Int, rectified: Bool, op: String) throws -> Tensor {
        let (maxima, routing) = try maxPooled(kernel: kernel, stride: stride, padding: padding, rectified: rectified, op: op)
        return Tensor.record(maxima, [self]) { grad in [try grad.scatteredToMaxima(routing)] }
    }

    /// The maxima of max pooling (a tensor without a graph) and where each window's came from.
    func maxPooled(kernel: Int, stride s: Int, padding: Int, rectified: Bool, op: String) throws -> (Tensor, PoolRouting) {
        let g = try poolGeometry(kernel: kernel, stride: s, padding: padding, op: op)
        guard count <= Int(Int32.max) else { throw TensorError.shape("\(op): \(count) elements; at most \(Int32.max) are supported") }
        let window = PoolWindow(g: g, kernel: kernel, stride: s, padding: padding, rectified: rectified)
        let (maxima, argmax) = Kernels.maxPool(values, window)
        let routing = PoolRouting(argmax: argmax, inputShape: shape, disjoint: s >= kernel, twoByTwo: kernel == 2 && s == 2 && padding == 0)
        return (Tensor(unchecked: [g.n, g.c, g.oh, g.ow], maxima), routing)
    }

    /// The pooling gradient: a tensor of the pooled input's shape, zero except grad[k] added at
    /// window k's argmax. Its backward gathers at the argmax cells.
    func scatteredToMaxima(_ r: PoolRouting) throws -> Tensor {
        let out = Kernels.scatterToMaxima(values, r)
        return Tensor.record(Tensor(unchecked: r.inputShape, out), [self]) { grad in [grad.gatheredAtMaxima(r, shape: self.shape)] }
    }

    /// x at each window's argmax (0 for a window whose rectified maximum is the 0). Its backward
    /// scatters to the argmax cells.
    func gatheredAtMaxima(_ r: PoolRouting, shape outShape: [Int]) -> Tensor {
        let out = Kernels.gatherAtMaxima(values, r)
        return Tensor.record(Tensor(unchecked: outShape, out), [self]) { grad in [try grad.scatteredToMaxima(r)] }
    }

    /// Mean over kernel×kernel windows moved by `stride` (default: the kernel size).
    public func avgPool2d(kernel: Int, stride: Int? = nil) throws -> Tensor {
        let s = stride ?? kernel
        let g = try poolGeometry(kernel: kernel, stride: s, op: "avgPool2d")
        var out = Kernels.repeating(Scalar(0), count: g.n * g.c * g.oh * g.ow)
        let scale = 1 / Scalar(kernel * kernel)
        for plane in 0..<(g.n * g.c) { for oi in 0..<g.oh { for oj in 0..<g.ow {
            var acc: Scalar = 0
            for di in 0..<kernel { for dj in 0..<kernel { acc += values[plane * g.h * g.w + (oi * s + di) * g.w + oj * s + dj] } }
            out[(plane * g.oh + oi) * g.ow + oj] = acc * scale
        } } }
        return Tensor.record(Tensor(unchecked: [g.n, g.c, g.oh, g.ow], out), [self]) { grad in
            [try grad.avgPool2dTranspose(kernel: kernel, stride: s, inputShape: self.shape)]
        }
    }

    /// The transpose of average pooling: spreads each value over its window, ÷ kernel².
    func avgPool2dTranspose(kernel: Int, stride s: Int, inputShape: [Int]) throws -> Tensor {
        let (h, w) = (inputShape[2], inputShape[3])
        let (oh, ow) = (shape[2], shape[3])
        var out = Kernels.repeating(Scalar(0), count: inputShape.reduce(1, *))
        let scale = 1 / Scalar(kernel * kernel)
        for plane in 0..<(shape[0] * shape[1]) { for oi in 0..<oh { for oj in 0..<ow {
            let v = values[(plane * oh + oi) * ow + oj] * scale
            for di in 0..<kernel { for dj in 0..<kernel { out[plane * h * w + (oi * s + di) * w + oj * s + dj] += v } }
        } } }
        return Tensor.record(Tensor(unchecked: inputShape, out), [self]) { grad in
            [try grad.avgPool2d(kernel: kernel, stride: s)]
        }
    }
}

