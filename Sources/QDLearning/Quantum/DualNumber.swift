import Foundation

/// The real numbers the quantum layer's adjoint program runs on: `Double` for values, ``DualNumber``
/// for values with a directional derivative (forward mode).
protocol AdjointScalar {
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
    static func / (a: Self, b: Self) -> Self
    static prefix func - (a: Self) -> Self
    /// The constant `value` (zero derivative).
    init(constant value: Double)
    static func sin(_ x: Self) -> Self
    static func cos(_ x: Self) -> Self
    static func sqrt(_ x: Self) -> Self
}

extension Double: AdjointScalar {
    init(constant value: Double) { self = value }
    static func sin(_ x: Double) -> Double { Foundation.sin(x) }
    static func cos(_ x: Double) -> Double { Foundation.cos(x) }
    static func sqrt(_ x: Double) -> Double { x.squareRoot() }
}

/// A dual number v + ε·d with ε² = 0: evaluating f on v + ε·d gives f(v) + ε·f′(v)·d, the value and
/// the derivative in direction d in one pass (forward-mode differentiation).
struct DualNumber: AdjointScalar {
    /// The value v.
    var value: Double
    /// The tangent d.
    var tangent: Double

    init(_ value: Double, tangent: Double) { self.value = value; self.tangent = tangent }
    init(constant value: Double) { self.init(value, tangent: 0) }

    static func + (a: DualNumber, b: DualNumber) -> DualNumber { DualNumber(a.value + b.value, tangent: a.tangent + b.tangent) }
    static func - (a: DualNumber, b: DualNumber) -> DualNumber { DualNumber(a.value - b.value, tangent: a.tangent - b.tangent) }
    /// (a + εa′)(b + εb′) = ab + ε(a′b + ab′)
    static func * (a: DualNumber, b: DualNumber) -> DualNumber {
        DualNumber(a.value * b.value, tangent: a.tangent * b.value + a.value * b.tangent)
    }
    /// (a/b)′ = (a′ − (a/b)·b′)/b
    static func / (a: DualNumber, b: DualNumber) -> DualNumber {
        let q = a.value / b.value
        return DualNumber(q, tangent: (a.tangent - q * b.tangent) / b.value)
    }
    static prefix func - (a: DualNumber) -> DualNumber { DualNumber(-a.value, tangent: -a.tangent) }
    static func sin(_ x: DualNumber) -> DualNumber { DualNumber(Foundation.sin(x.value), tangent: x.tangent * Foundation.cos(x.value)) }
    static func cos(_ x: DualNumber) -> DualNumber { DualNumber(Foundation.cos(x.value), tangent: -x.tangent * Foundation.sin(x.value)) }
    /// (√x)′ = x′/(2√x)
    static func sqrt(_ x: DualNumber) -> DualNumber {
        let r = x.value.squareRoot()
        return DualNumber(r, tangent: x.tangent / (2 * r))
    }
}

/// A complex number over an ``AdjointScalar``.
struct ComplexOf<T: AdjointScalar> {
    var re: T, im: T

    static var zero: ComplexOf { ComplexOf(re: T(constant: 0), im: T(constant: 0)) }
    static func + (a: ComplexOf, b: ComplexOf) -> ComplexOf { ComplexOf(re: a.re + b.re, im: a.im + b.im) }
    static func * (a: ComplexOf, b: ComplexOf) -> ComplexOf {
        ComplexOf(re: a.re * b.re - a.im * b.im, im: a.re * b.im + a.im * b.re)
    }
    var conjugate: ComplexOf { ComplexOf(re: re, im: -im) }
    /// self · (i·k) for a real constant k.
    func timesImaginary(_ k: Double) -> ComplexOf {
        let c = T(constant: k)
        return ComplexOf(re: -(im * c), im: re * c)
    }
}
