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
    /// count as −∞, as in PyTorch.
    public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) throws -> Tensor {
        let s = stride ?? kernel
        let g = try poolGeometry(kernel: kernel, stride: s, padding: padding, op: "maxPool2d")
        let argmax = Kernels.concrete(Scalar.self,
            float: { maxPoolArgmax(Kernels.cast(values, to: Float.self), g, kernel, s, padding) },
            double: { maxPoolArgmax(Kernels.cast(values, to: Double.self), g, kernel, s, padding) },
            generic: { maxPoolArgmax(values, g, kernel, s, padding) })
        return try gathered(flatIndices: argmax, shape: [g.n, g.c, g.oh, g.ow])
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

/// The argmax of four neighbouring 2×2 windows, whose top-left cells are top, top + 2, top + 4 and
/// top + 6 in rows `width` apart, written to out[0..<4]. Vector compares and selects, so nothing
/// branches: after a ReLU half the candidates are equal zeros, and a branch would mispredict.
@inline(__always)
private func maxPool2x2Argmax4<T: TensorScalar>(_ x: UnsafePointer<T>, top: Int, width: Int, into out: UnsafeMutablePointer<Int>) {
    typealias Offsets = SIMD4<T.SIMDMaskScalar>
    let upper = UnsafeRawPointer(x + top).loadUnaligned(as: SIMD8<T>.self)
    let lower = UnsafeRawPointer(x + top + width).loadUnaligned(as: SIMD8<T>.self)
    let rightUpper = upper.oddHalf .> upper.evenHalf, rightLower = lower.oddHalf .> lower.evenHalf
    let maxUpper = upper.evenHalf.replacing(with: upper.oddHalf, where: rightUpper)
    let maxLower = lower.evenHalf.replacing(with: lower.oddHalf, where: rightLower)
    let (zero, one) = (Offsets(repeating: 0), Offsets(repeating: 1))
    let ou = zero.replacing(with: one, where: rightUpper)
    let ol = Offsets(repeating: T.SIMDMaskScalar(width)) &+ zero.replacing(with: one, where: rightLower)
    let offsets = ou.replacing(with: ol, where: maxLower .> maxUpper)
    for l in 0..<4 { out[l] = top + 2 * l + Int(offsets[l]) }
}

/// The flat index of each window's maximum (padding cells never win).
func maxPoolArgmax<T: TensorScalar>(_ x: [T], _ g: (n: Int, c: Int, h: Int, w: Int, oh: Int, ow: Int),
                                   _ kernel: Int, _ s: Int, _ padding: Int) -> [Int] {
    var argmax = [Int](repeating: 0, count: g.n * g.c * g.oh * g.ow)
    if padding == 0 && kernel == 2 && s == 2 {
        // LeNet's pooling: four candidates per window, compared directly
        x.withUnsafeBufferPointer { x in argmax.withUnsafeMutableBufferPointer { out in
            forEachRange(g.n * g.c, work: x.count) { planes in for plane in planes {
                let base = plane * g.h * g.w
                var k = plane * g.oh * g.ow
                for oi in 0..<g.oh {
                    let r0 = base + 2 * oi * g.w, r1 = r0 + g.w
                    var oj = 0
                    while oj + 4 <= g.ow {
                        maxPool2x2Argmax4(x.baseAddress!, top: r0 + 2 * oj, width: g.w, into: out.baseAddress! + k)
                        oj += 4
                        k += 4
                    }
                    for oj in oj..<g.ow {
                        let a = r0 + 2 * oj, c = r1 + 2 * oj
                        let va = x[a], vb = x[a + 1], vc = x[c], vd = x[c + 1]
                        let ab = vb > va ? a + 1 : a, vab = vb > va ? vb : va
                        let cd = vd > vc ? c + 1 : c, vcd = vd > vc ? vd : vc
                        out[k] = vcd > vab ? cd : ab
                        k += 1
                    }
                }
            } }
        } }
        return argmax
    }
    if padding == 0 {
        // every window lies inside the image: no bounds tests
        x.withUnsafeBufferPointer { x in argmax.withUnsafeMutableBufferPointer { out in
            var k = 0
            for plane in 0..<(g.n * g.c) {
                let base = plane * g.h * g.w
                for oi in 0..<g.oh { for oj in 0..<g.ow {
                    var best = base + oi * s * g.w + oj * s
                    for di in 0..<kernel {
                        let row = base + (oi * s + di) * g.w + oj * s
                        for dj in 0..<kernel where x[row + dj] > x[best] { best = row + dj }
                    }
                    out[k] = best
                    k += 1
                } }
            }
        } }
        return argmax
    }
    x.withUnsafeBufferPointer { x in
        var k = 0
        for plane in 0..<(g.n * g.c) {
            let base = plane * g.h * g.w
            for oi in 0..<g.oh { for oj in 0..<g.ow {
                var best = -1
                for di in 0..<kernel { for dj in 0..<kernel {
                    let i = oi * s - padding + di, j = oj * s - padding + dj
                    guard i >= 0, i < g.h, j >= 0, j < g.w else { continue }
                    let idx = base + i * g.w + j
                    if best < 0 || x[idx] > x[best] { best = idx }
                } }
                argmax[k] = best
                k += 1
            } }
        }
    }
    return argmax
}
