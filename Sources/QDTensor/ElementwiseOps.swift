/// Elementwise arithmetic with broadcasting, and the unary functions. Each forward sits beside
/// its backward rule, and every rule is built from differentiable operations.
extension Tensor {
    /// Applies `f` elementwise to broadcast operands.
    static func zipMap(_ a: Tensor, _ b: Tensor, op: String, _ f: (Scalar, Scalar) -> Scalar) throws -> Tensor {
        if a.shape == b.shape {
            var out = [Scalar](repeating: 0, count: a.count)
            a.values.withUnsafeBufferPointer { x in b.values.withUnsafeBufferPointer { y in
                for i in 0..<out.count { out[i] = f(x[i], y[i]) }
            } }
            return Tensor(unchecked: a.shape, out)
        }
        let shape = try broadcastShape(a.shape, b.shape, op: op)
        var out = [Scalar](repeating: 0, count: shape.reduce(1, *))
        let sa = broadcastStrides(a.shape, to: shape), sb = broadcastStrides(b.shape, to: shape)
        a.values.withUnsafeBufferPointer { x in b.values.withUnsafeBufferPointer { y in
            out.withUnsafeMutableBufferPointer { o in
                forEachIndex(shape, sa, sb) { i, ia, ib in o[i] = f(x[ia], y[ib]) }
            }
        } }
        return Tensor(unchecked: shape, out)
    }

    /// Applies `f` to every element.
    func map(_ f: (Scalar) -> Scalar) -> Tensor { Tensor(unchecked: shape, values.map(f)) }

    /// a + b, broadcast.
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.adding(b) }

    /// self + other, broadcast.
    public func adding(_ b: Tensor) throws -> Tensor {
        let a = self
        return Tensor.record(try Tensor.zipMap(a, b, op: "+", +), [a, b]) { g in [try g.summed(toShape: a.shape), try g.summed(toShape: b.shape)] }
    }

    /// a − b, broadcast.
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.subtracting(b) }

    /// self − other, broadcast.
    public func subtracting(_ b: Tensor) throws -> Tensor {
        let a = self
        return Tensor.record(try Tensor.zipMap(a, b, op: "-", -), [a, b]) { g in [try g.summed(toShape: a.shape), try g.negated().summed(toShape: b.shape)] }
    }

    /// a ⊙ b, broadcast.
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.multiplying(b) }

    /// self ⊙ other, broadcast.
    public func multiplying(_ b: Tensor) throws -> Tensor {
        let a = self
        return Tensor.record(try Tensor.zipMap(a, b, op: "*", *), [a, b]) { g in
            [try g.multiplying(b).summed(toShape: a.shape), try g.multiplying(a).summed(toShape: b.shape)]
        }
    }

    /// a ⊘ b, broadcast.
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.dividing(b) }

    /// self ⊘ other, broadcast: ∂/∂a = g/b, ∂/∂b = −g·a/b².
    public func dividing(_ b: Tensor) throws -> Tensor {
        let a = self
        return Tensor.record(try Tensor.zipMap(a, b, op: "/", /), [a, b]) { g in
            [try g.dividing(b).summed(toShape: a.shape), try g.multiplying(a).negated().dividing(b.multiplying(b)).summed(toShape: b.shape)]
        }
    }

    /// −a.
    public static prefix func - (a: Tensor) -> Tensor { a.negated() }

    /// −self.
    public func negated() -> Tensor {
        Tensor.record(map { -$0 }, [self]) { g in [g.negated()] }
    }

    /// a·s for a scalar s.
    public static func * (a: Tensor, s: Scalar) -> Tensor { a.scaled(by: s) }

    /// self·s for a scalar s.
    public func scaled(by s: Scalar) -> Tensor {
        Tensor.record(map { $0 * s }, [self]) { g in [g.scaled(by: s)] }
    }

    /// a + s for a scalar s.
    public static func + (a: Tensor, s: Scalar) -> Tensor { a.shifted(by: s) }

    /// self + s for a scalar s.
    public func shifted(by s: Scalar) -> Tensor {
        Tensor.record(map { $0 + s }, [self]) { g in [g] }
    }

    /// eˣ; ∂ = g·eˣ.
    public func exp() -> Tensor {
        Tensor.record(map(Scalar.exp), [self]) { g in [try g * self.exp()] }
    }

    /// ln x; ∂ = g/x.
    public func log() -> Tensor {
        Tensor.record(map(Scalar.log), [self]) { g in [try g / self] }
    }

    /// tanh x; ∂ = g·(1 − tanh²x).
    public func tanh() -> Tensor {
        Tensor.record(map(Scalar.tanh), [self]) { g in
            let t = self.tanh()
            return [try g * ((-(try t * t)) + 1)]
        }
    }

    /// σ(x) = 1/(1 + e^{−x}); ∂ = g·σ(1 − σ).
    public func sigmoid() -> Tensor {
        Tensor.record(map { 1 / (1 + Scalar.exp(-$0)) }, [self]) { g in
            let s = self.sigmoid()
            return [try g * (try s * ((-s) + 1))]
        }
    }

    /// softplus(x) = ln(1 + eˣ), computed stably; ∂ = g·σ(x).
    public func softplus() -> Tensor {
        Tensor.record(map { $0 > 0 ? $0 + Scalar.log(1 + Scalar.exp(-$0)) : Scalar.log(1 + Scalar.exp($0)) }, [self]) { g in
            [try g * self.sigmoid()]
        }
    }

    /// max(x, 0); ∂ = g·[x > 0] (the mask is a constant, so second derivatives are 0).
    public func relu() -> Tensor {
        let mask = map { $0 > 0 ? 1 : 0 }
        return Tensor.record(map { $0 > 0 ? $0 : 0 }, [self]) { g in [try g * mask] }
    }

    /// √x; ∂ = g/(2√x).
    public func sqrt() -> Tensor {
        Tensor.record(map(Scalar.sqrt), [self]) { g in [try g / (self.sqrt() * 2)] }
    }

    /// x².
    public func squared() -> Tensor {
        Tensor.record(map { $0 * $0 }, [self]) { g in [try g * (self * 2)] }
    }
}
