/// The gradient-descent update θ − s⊙g as one operation: the distillation's inner step, applied to
/// every parameter 30 times per outer iteration and differentiated through by the meta-gradient.
/// As `theta - g * s` it took two passes over the parameters forward and four backward; here it
/// takes one forward and three backward, with the same rounding.
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
            [theta.needsGradient ? gbar : nil,
             g.needsGradient ? try gbar * s.negated() : nil,
             s.needsGradient ? try (gbar * g).summed(toShape: s.shape).negated() : nil]
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
}
