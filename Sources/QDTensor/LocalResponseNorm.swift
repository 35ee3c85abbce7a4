/// Local response normalisation over channels (AlexCifarNet) as fused kernels: one pass forward,
/// one pass backward, and a second-order rule composed of differentiable operations.
///
/// With S the window sum over channels, S(x)_c = Σ_{c′ = c − ⌊n/2⌋}^{c + ⌈n/2⌉ − 1} x_{c′} (zero
/// outside), and Sᵀ its transpose (the mirrored window):
///
///     D = k + (α/n)·S(a²),  b = a·D^{−β}
///     ∂a = g·D^{−β} − (2αβ/n)·a·Sᵀ(g·a·D^{−β−1})
extension Tensor {
    /// PyTorch's LocalResponseNorm over the channels of [N, C, H, W]:
    /// b_c = a_c / (k + α/n · Σ_{c′ ∈ window(c)} a_{c′}²)^β, the window running from c − ⌊n/2⌋ to
    /// c + ⌈n/2⌉ − 1 (zero outside).
    public func localResponseNormalized(size n: Int, alpha: Scalar = 1e-4, beta: Scalar = 0.75, k: Scalar = 1) throws -> Tensor {
        guard rank == 4 else { throw TensorError.shape("localResponseNorm needs [N, C, H, W]; got \(shape)") }
        guard n >= 1 else { throw TensorError.argument("localResponseNorm: size \(n) must be ≥ 1") }
        let s = LRNSettings(before: n / 2, after: (n - 1) / 2, alphaOverN: alpha / Scalar(n), beta: beta, k: k)
        let out = Kernels.concrete(Scalar.self,
            float: { Kernels.cast(lrnForwardKernel(Kernels.cast(values, to: Float.self), shape, s.cast(Float.self)), to: Scalar.self) },
            double: { Kernels.cast(lrnForwardKernel(Kernels.cast(values, to: Double.self), shape, s.cast(Double.self)), to: Scalar.self) },
            generic: { lrnForwardKernel(values, shape, s) })
        return Tensor.record(Tensor(unchecked: shape, out), [self]) { g in [try self.lrnGradient(upstream: g, s)] }
    }

    /// ∂a = g·D^{−β} − (2αβ/n)·a·Sᵀ(g·a·D^{−β−1}), recorded as an operation of a and g so that
    /// gradients of gradients pass through it.
    func lrnGradient(upstream g: Tensor, _ s: LRNSettings<Scalar>) throws -> Tensor {
        guard g.shape == shape else { throw TensorError.shape("localResponseNorm: upstream gradient \(g.shape) must match \(shape)") }
        let out = Kernels.concrete(Scalar.self,
            float: { Kernels.cast(lrnBackwardKernel(Kernels.cast(values, to: Float.self), Kernels.cast(g.values, to: Float.self), shape, s.cast(Float.self)), to: Scalar.self) },
            double: { Kernels.cast(lrnBackwardKernel(Kernels.cast(values, to: Double.self), Kernels.cast(g.values, to: Double.self), shape, s.cast(Double.self)), to: Scalar.self) },
            generic: { lrnBackwardKernel(values, g.values, shape, s) })
        return Tensor.record(Tensor(unchecked: shape, out), [self, g]) { h in try self.lrnSecondOrder(upstream: g, h, s) }
    }

    /// The gradients of ⟨h, ∂a(a, g)⟩ with respect to a and g, with P = D^{−β−1}, c = 2αβ/n and
    /// Q = S(h·a):
    ///
    ///     ∂g = h·D^{−β} − c·a·P·Q                              (∂a is linear in g)
    ///     ∂a = −c·(a·Sᵀ(h·g·P) + h·Sᵀ(g·a·P) + Q·g·P) + c·(β+1)·(2α/n)·a·Sᵀ(Q·g·a·P/D)
    ///
    /// composed of differentiable operations, so higher orders follow too.
    private func lrnSecondOrder(upstream g: Tensor, _ h: Tensor, _ s: LRNSettings<Scalar>) throws -> [Tensor?] {
        let sum = { (x: Tensor) in try x.channelWindowSum(before: s.before, after: s.after) }
        let sumT = { (x: Tensor) in try x.channelWindowSum(before: s.after, after: s.before) }
        let d = try sum(squared()) * s.alphaOverN + s.k
        let p = (d.log() * (-s.beta - 1)).exp()
        let c = 2 * s.alphaOverN * s.beta
        let q = try sum(h * self)
        let gp = try g * p
        let dg = try h * (p * d) - self * (p * q) * c
        let first = try self * sumT(h * gp) + h * sumT(gp * self) + q * gp
        let second = try self * sumT(q * gp * self / d) * (c * (s.beta + 1) * 2 * s.alphaOverN)
        let da = try second - first * c
        return [da, dg]
    }

    /// s_c = Σ_{c′ = c − before}^{c + after} x_{c′} over channels (zero outside); its transpose is
    /// the same sum with `before` and `after` exchanged.
    func channelWindowSum(before: Int, after: Int) throws -> Tensor {
        let (nb, c, hw) = (shape[0], shape[1], shape[2] * shape[3])
        let out = Kernels.concrete(Scalar.self,
            float: { Kernels.cast(channelWindowSumKernel(Kernels.cast(values, to: Float.self), nb, c, hw, before, after), to: Scalar.self) },
            double: { Kernels.cast(channelWindowSumKernel(Kernels.cast(values, to: Double.self), nb, c, hw, before, after), to: Scalar.self) },
            generic: { channelWindowSumKernel(values, nb, c, hw, before, after) })
        return Tensor.record(Tensor(unchecked: shape, out), [self]) { g in [try g.channelWindowSum(before: after, after: before)] }
    }
}

/// The constants of one local response normalisation: the window (`before` channels before,
/// `after` after), α/n, β and k.
struct LRNSettings<S: TensorScalar> {
    let before: Int, after: Int
    let alphaOverN: S, beta: S, k: S

    /// The same settings in another scalar type (the kernels run on a concrete one).
    func cast<T: TensorScalar>(_: T.Type) -> LRNSettings<T> {
        LRNSettings<T>(before: before, after: after, alphaOverN: T(alphaOverN), beta: T(beta), k: T(k))
    }

    /// D^{−β}: for β = ¾ (AlexCifarNet's, and PyTorch's default) as 1/(√D·⁴√D), which vectorises,
    /// otherwise as e^{−β·ln D}.
    @inline(__always)
    func power(_ d: S) -> S {
        if beta == 0.75 {
            let root = S.sqrt(d)
            return 1 / (root * S.sqrt(root))
        }
        return S.exp(-beta * S.log(d))
    }

    /// D = k + (α/n)·Σ_window a² at the `hw` positions of channel `ch` of the image at `image`.
    @inline(__always)
    func denominators(image: UnsafePointer<S>, channels: Int, ch: Int, hw: Int, into d: UnsafeMutablePointer<S>) {
        d.update(repeating: 0, count: hw)
        for src in max(0, ch - before)...min(channels - 1, ch + after) {
            let row = image + src * hw
            for i in 0..<hw { d[i] = row[i] * row[i] + d[i] }
        }
        for i in 0..<hw { d[i] = d[i] * alphaOverN + k }
    }
}

/// b = a·D^{−β} image by image ([N, C, H, W] in `shape`), the images split across threads.
private func lrnForwardKernel<T: TensorScalar>(_ x: [T], _ shape: [Int], _ s: LRNSettings<T>) -> [T] {
    let (nb, c, hw) = (shape[0], shape[1], shape[2] * shape[3])
    return Kernels.filled(x.count) { (out: UnsafeMutableBufferPointer<T>) in
        x.withUnsafeBufferPointer { xp in
            let (xb, ob) = (xp.baseAddress!, out.baseAddress!)
            forEachRange(nb, work: x.count) { images in
                let d = UnsafeMutablePointer<T>.allocate(capacity: hw)
                defer { d.deallocate() }
                for b in images {
                    let image = xb + b * c * hw
                    for ch in 0..<c {
                        s.denominators(image: image, channels: c, ch: ch, hw: hw, into: d)
                        let (a, o) = (image + ch * hw, ob + (b * c + ch) * hw)
                        for i in 0..<hw { o[i] = a[i] * s.power(d[i]) }
                    }
                }
            }
        }
    }
}

/// ∂a = g·D^{−β} − (2αβ/n)·a·Sᵀ(g·a·D^{−β−1}) image by image, the images split across threads.
private func lrnBackwardKernel<T: TensorScalar>(_ x: [T], _ g: [T], _ shape: [Int], _ s: LRNSettings<T>) -> [T] {
    let (nb, c, hw) = (shape[0], shape[1], shape[2] * shape[3])
    let coefficient = 2 * s.alphaOverN * s.beta
    return Kernels.filled(x.count) { (out: UnsafeMutableBufferPointer<T>) in
        x.withUnsafeBufferPointer { xp in g.withUnsafeBufferPointer { gp in
            let (xb, gb, ob) = (xp.baseAddress!, gp.baseAddress!, out.baseAddress!)
            forEachRange(nb, work: x.count) { images in
                // per image: D^{−β} and u = g·a·D^{−β−1} for every channel, then the mirrored window sums of u
                let scale = UnsafeMutablePointer<T>.allocate(capacity: c * hw), u = UnsafeMutablePointer<T>.allocate(capacity: c * hw)
                defer { scale.deallocate(); u.deallocate() }
                for b in images {
                    let offset = b * c * hw
                    let (image, upstream, o) = (xb + offset, gb + offset, ob + offset)
                    for ch in 0..<c {
                        let d = scale + ch * hw
                        s.denominators(image: image, channels: c, ch: ch, hw: hw, into: d)
                        let (a, gc, uc) = (image + ch * hw, upstream + ch * hw, u + ch * hw)
                        for i in 0..<hw {
                            let power = s.power(d[i])
                            uc[i] = gc[i] * a[i] * power / d[i]
                            d[i] = power
                        }
                    }
                    for ch in 0..<c {
                        let (a, gc, oc, sc) = (image + ch * hw, upstream + ch * hw, o + ch * hw, scale + ch * hw)
                        for i in 0..<hw { oc[i] = gc[i] * sc[i] }
                        // the transpose of the window: channels ch − after ... ch + before
                        for src in max(0, ch - s.after)...min(c - 1, ch + s.before) {
                            let us = u + src * hw
                            for i in 0..<hw { oc[i] = oc[i] - coefficient * a[i] * us[i] }
                        }
                    }
                }
            }
        } }
    }
}

/// The loop of ``Tensor/channelWindowSum(before:after:)`` over [nb, c, hw], called with a concrete
/// scalar; the output planes are split across threads.
private func channelWindowSumKernel<T: TensorScalar>(_ x: [T], _ nb: Int, _ c: Int, _ hw: Int, _ before: Int, _ after: Int) -> [T] {
    var out = [T](repeating: 0, count: x.count)
    x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { op in
        let (x, out) = (xp.baseAddress!, op.baseAddress!)
        forEachRange(nb * c, work: nb * c * hw) { planes in
            for plane in planes {
                let (b, ch) = plane.quotientAndRemainder(dividingBy: c), dst = out + plane * hw
                for src in max(0, ch - before)...min(c - 1, ch + after) {
                    let s = x + (b * c + src) * hw
                    for i in 0..<hw { dst[i] += s[i] }
                }
            }
        }
    } }
    return out
}
