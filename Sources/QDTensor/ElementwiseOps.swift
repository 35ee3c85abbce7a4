/// Elementwise arithmetic with broadcasting, and the unary functions. Each forward sits beside
/// its backward rule, and every rule is built from differentiable operations.
extension Tensor {
    /// `op` elementwise on broadcast operands (see ``Kernels``).
    static func elementwise(_ a: Tensor, _ b: Tensor, _ op: BinaryOp, name: String) throws -> Tensor {
        let shape = a.shape == b.shape ? a.shape : try broadcastShape(a.shape, b.shape, op: name)
        return Tensor(unchecked: shape, Kernels.binary(op, a.values, a.shape, b.values, b.shape, shape))
    }

    /// `op` applied to every element.
    func elementwise(_ op: UnaryOp) -> Tensor { Tensor(unchecked: shape, Kernels.unary(op, values)) }

    /// a + b, broadcast.
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.adding(b) }

    /// self + other, broadcast.
    public func adding(_ b: Tensor) throws -> Tensor {
        let a = self
        return Tensor.record(try Tensor.elementwise(a, b, .add, name: "+"), [a, b]) { g in
            [a.needsGradient ? try g.summed(toShape: a.shape) : nil, b.needsGradient ? try g.summed(toShape: b.shape) : nil]
        }
    }

    /// a − b, broadcast.
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.subtracting(b) }

    /// self − other, broadcast.
    public func subtracting(_ b: Tensor) throws -> Tensor {
        let a = self
        return Tensor.record(try Tensor.elementwise(a, b, .subtract, name: "-"), [a, b]) { g in
            [a.needsGradient ? try g.summed(toShape: a.shape) : nil, b.needsGradient ? try g.negated().summed(toShape: b.shape) : nil]
        }
    }

    /// a ⊙ b, broadcast.
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.multiplying(b) }

    /// self ⊙ other, broadcast.
    public func multiplying(_ b: Tensor) throws -> Tensor {
        let a = self
        return Tensor.record(try Tensor.elementwise(a, b, .multiply, name: "*"), [a, b]) { g in
            [a.needsGradient ? try g.multiplying(b).summed(toShape: a.shape) : nil, b.needsGradient ? try g.multiplying(a).summed(toShape: b.shape) : nil]
        }
    }

    /// a ⊘ b, broadcast.
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.dividing(b) }

    /// self ⊘ other, broadcast: ∂/∂a = g/b, ∂/∂b = −g·a/b².
    public func dividing(_ b: Tensor) throws -> Tensor {
        let a = self
        return Tensor.record(try Tensor.elementwise(a, b, .divide, name: "/"), [a, b]) { g in
            [a.needsGradient ? try g.dividing(b).summed(toShape: a.shape) : nil,
             b.needsGradient ? try g.multiplying(a).negated().dividing(b.multiplying(b)).summed(toShape: b.shape) : nil]
        }
    }

    /// −a.
    public static prefix func - (a: Tensor) -> Tensor { a.negated() }

    /// −self.
    public func negated() -> Tensor {
        Tensor.record(elementwise(.negate), [self]) { g in [g.negated()] }
    }

    /// a·s for a scalar s.
    public static func * (a: Tensor, s: Scalar) -> Tensor { a.scaled(by: s) }

    /// self·s for a scalar s.
    public func scaled(by s: Scalar) -> Tensor {
        Tensor.record(elementwise(.scale(Double(s))), [self]) { g in [g.scaled(by: s)] }
    }

    /// a + s for a scalar s.
    public static func + (a: Tensor, s: Scalar) -> Tensor { a.shifted(by: s) }

    /// self + s for a scalar s.
    public func shifted(by s: Scalar) -> Tensor {
        Tensor.record(elementwise(.shift(Double(s))), [self]) { g in [g] }
    }

    /// eˣ; ∂ = g·eˣ.
    public func exp() -> Tensor {
        Tensor.record(elementwise(.exp), [self]) { g in [try g * self.exp()] }
    }

    /// ln x; ∂ = g/x.
    public func log() -> Tensor {
        Tensor.record(elementwise(.log), [self]) { g in [try g / self] }
    }

    /// tanh x; ∂ = g·(1 − tanh²x).
    public func tanh() -> Tensor {
        Tensor.record(elementwise(.tanh), [self]) { g in
            let t = self.tanh()
            return [try g * ((-(try t * t)) + 1)]
        }
    }

    /// σ(x) = 1/(1 + e^{−x}); ∂ = g·σ(1 − σ).
    public func sigmoid() -> Tensor {
        Tensor.record(elementwise(.sigmoid), [self]) { g in
            let s = self.sigmoid()
            return [try g * (try s * ((-s) + 1))]
        }
    }

    /// softplus(x) = ln(1 + eˣ), computed stably; ∂ = g·σ(x).
    public func softplus() -> Tensor {
        Tensor.record(elementwise(.softplus), [self]) { g in
            [try g * self.sigmoid()]
        }
    }

    /// max(x, 0); ∂ = g·[x > 0] (the mask is a constant, so second derivatives are 0).
    public func relu() -> Tensor {
        let mask = elementwise(.positiveMask)
        return Tensor.record(elementwise(.relu), [self]) { g in [try g * mask] }
    }

    /// sin x; ∂ = g·cos x.
    public func sin() -> Tensor {
        Tensor.record(elementwise(.sin), [self]) { g in [try g * self.cos()] }
    }

    /// cos x; ∂ = −g·sin x.
    public func cos() -> Tensor {
        Tensor.record(elementwise(.cos), [self]) { g in [try g * self.sin().negated()] }
    }

    /// √x; ∂ = g/(2√x).
    public func sqrt() -> Tensor {
        Tensor.record(elementwise(.sqrt), [self]) { g in [try g / (self.sqrt() * 2)] }
    }

    /// x².
    public func squared() -> Tensor {
        Tensor.record(elementwise(.square), [self]) { g in [try g * (self * 2)] }
    }
}
