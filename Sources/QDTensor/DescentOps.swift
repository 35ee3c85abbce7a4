/// The gradient-descent update θ − s⊙g as one operation: the distillation's inner step, applied to
/// every parameter 30 times per outer iteration and differentiated through by the meta-gradient.
/// As `theta - g * s` it took two passes over the parameters forward and four backward; here it
/// takes one forward, and one backward (three when the backward pass records a graph, so that it
/// can be differentiated again), with the same rounding.
extension Tensor {
    /// self − s⊙g, for a gradient g of self's shape and a step size s of one element (one rate) or
    /// of self's shape (one per element), rounded as `self - g * s` (the product, then the
    /// difference). Its backward rule, with ḡ the output's gradient:
    ///
    ///     ∂θ = ḡ,   ∂g = ḡ ⊙ (−s),   ∂s = −Σ ḡ ⊙ g   (summed to s's shape)
    public func descended(along g: Tensor, stepSize s: Tensor) throws -> Tensor {
        guard g.shape == shape, s.count == 1 || s.shape == shape else {
            throw TensorError.shape("descended: the gradient has shape \(g.shape) and the step size \(s.shape); expected \(shape), and one element or \(shape)")
        }
        let theta = self
        return Tensor.record(Tensor(unchecked: shape, Kernels.descent(values, g.values, s.values)), [theta, g, s]) { gbar in
            guard !Autograd.isRecording else {
                return [theta.needsGradient ? gbar : nil,
                        g.needsGradient ? try gbar * s.negated() : nil,
                        s.needsGradient ? try (gbar * g).summed(toShape: s.shape).negated() : nil]
            }
            // not differentiated again (the meta-gradient's last pass): both in one pass, same bits
            let (dg, ds) = Kernels.descentGradients(gbar.values, g.values, s.values)
            return [theta.needsGradient ? gbar : nil, g.needsGradient ? Tensor(unchecked: g.shape, dg) : nil,
                    s.needsGradient ? Tensor(unchecked: s.shape, ds) : nil]
        }
    }
}

extension Kernels {
    /// θ[i] − g[i]·s[i], or − g[i]·s[0] for a single step size.
    static func descent<S: TensorScalar>(_ theta: [S], _ g: [S], _ s: [S]) -> [S] {
        concrete(S.self,
                 float: { cast(descentImpl(cast(theta, to: Float.self), cast(g, to: Float.self), cast(s, to: Float.self)), to: S.self) },
                 double: { cast(descentImpl(cast(theta, to: Double.self), cast(g, to: Double.self), cast(s, to: Double.self)), to: S.self) },
                 generic: { descentImpl(theta, g, s) })
    }

    private static func descentImpl<T: TensorScalar>(_ theta: [T], _ g: [T], _ s: [T]) -> [T] {
        filled(theta.count) { o in theta.withUnsafeBufferPointer { t in g.withUnsafeBufferPointer { d in s.withUnsafeBufferPointer { r in
            forEachRange(o.count, work: o.count) { range in
                if r.count == 1 {
                    let step = r[0]
                    for i in range { o[i] = t[i] - d[i] * step }
                } else {
                    for i in range { o[i] = t[i] - d[i] * r[i] }
                }
            }
        } } } }
    }

    /// The gradients of θ − s⊙g with respect to g and s for the output's gradient ḡ, in one pass:
    /// ḡ[i]·(−s), and −Σ ḡ[i]·g[i] for one step size (summed by ``runSum(_:eight:one:)`` as the
    /// reduction sums the products, so the bits are those of `(gbar * g).sum()`), or −ḡ[i]·g[i] for
    /// one per element.
    static func descentGradients<S: TensorScalar>(_ gbar: [S], _ g: [S], _ s: [S]) -> (gradient: [S], stepSize: [S]) {
        concrete(S.self,
                 float: { let r = descentGradientsImpl(cast(gbar, to: Float.self), cast(g, to: Float.self), cast(s, to: Float.self))
                          return (cast(r.0, to: S.self), cast(r.1, to: S.self)) },
                 double: { let r = descentGradientsImpl(cast(gbar, to: Double.self), cast(g, to: Double.self), cast(s, to: Double.self))
                           return (cast(r.0, to: S.self), cast(r.1, to: S.self)) },
                 generic: { descentGradientsImpl(gbar, g, s) })
    }

    private static func descentGradientsImpl<T: TensorScalar>(_ gbar: [T], _ g: [T], _ s: [T]) -> ([T], [T]) {
        let n = gbar.count
        if s.count != 1 {
            var ds = [T]()
            let dg = filled(n) { (o: UnsafeMutableBufferPointer<T>) in
                ds = filled(n) { (q: UnsafeMutableBufferPointer<T>) in
                    for i in 0..<n { o[i] = gbar[i] * -s[i]; q[i] = -(gbar[i] * g[i]) }
                }
            }
            return (dg, ds)
        }
        let step = -s[0]
        var total = T.zero
        let dg = filled(n) { (o: UnsafeMutableBufferPointer<T>) in gbar.withUnsafeBufferPointer { a in g.withUnsafeBufferPointer { b in
            let (o, a, b) = (o.baseAddress!, a.baseAddress!, b.baseAddress!)
            // ∂g written on the way through the sum of the products ḡ⊙g
            @inline(__always) func eight(_ k: Int) -> SIMD8<T> {
                let x = loadEight(a + k)
                storeVector(x * step, to: o + k)
                return x * loadEight(b + k)
            }
            @inline(__always) func one(_ k: Int) -> T {
                o[k] = a[k] * step
                return a[k] * b[k]
            }
            total = runSum(n, eight: eight, one: one)
        } } }
        return (dg, [-total])
    }
}
