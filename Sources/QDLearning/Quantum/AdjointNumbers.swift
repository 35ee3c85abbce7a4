import Foundation

/// The real numbers the quantum layer's adjoint program is written over, so that the program reads
/// as plain arithmetic whatever runs it (``DualLanes`` and ``ValueLanes`` do).
protocol AdjointScalar {
    @inline(__always) static func + (a: Self, b: Self) -> Self
    @inline(__always) static func - (a: Self, b: Self) -> Self
    @inline(__always) static func * (a: Self, b: Self) -> Self
    @inline(__always) static func / (a: Self, b: Self) -> Self
    @inline(__always) static prefix func - (a: Self) -> Self
    /// The constant `value` (zero derivative).
    init(constant value: Double)
    @inline(__always) static func sin(_ x: Self) -> Self
    @inline(__always) static func cos(_ x: Self) -> Self
    @inline(__always) static func sqrt(_ x: Self) -> Self
}

/// Four samples' numbers side by side, one per SIMD lane, as the quantum layer's adjoint program
/// reads them: dual numbers with tangents (``DualLanes``), or plain values (``ValueLanes``).
protocol AdjointLanes: AdjointScalar {
    /// The lanes' values.
    var value: SIMD4<Double> { get }
    /// The lanes' tangents (zero when the type carries none).
    var tangent: SIMD4<Double> { get }
    /// Lanes from their values and tangents (a type without tangents drops them).
    init(value: SIMD4<Double>, tangent: SIMD4<Double>)
}

extension AdjointLanes {
    /// How many lanes there are.
    static var width: Int { 4 }
    /// The same number in every lane.
    init(broadcasting value: Double, tangent: Double) { self.init(value: SIMD4(repeating: value), tangent: SIMD4(repeating: tangent)) }
    init(constant value: Double) { self.init(value: SIMD4(repeating: value), tangent: .zero) }
}

/// Four dual numbers v + ε·d (ε² = 0), one per lane, in SIMD registers. Evaluating f on v + ε·d
/// gives f(v) + ε·f′(v)·d, the value and the derivative in direction d in one pass (forward-mode
/// differentiation); the lanes carry four samples through the same program at once. Each lane
/// computes exactly what a scalar dual number would: the same operations in the same order.
struct DualLanes: AdjointLanes {
    /// The values v.
    var value: SIMD4<Double>
    /// The tangents d.
    var tangent: SIMD4<Double>

    init(value: SIMD4<Double>, tangent: SIMD4<Double>) { self.value = value; self.tangent = tangent }

    @inline(__always) static func + (a: DualLanes, b: DualLanes) -> DualLanes { DualLanes(value: a.value + b.value, tangent: a.tangent + b.tangent) }
    @inline(__always) static func - (a: DualLanes, b: DualLanes) -> DualLanes { DualLanes(value: a.value - b.value, tangent: a.tangent - b.tangent) }
    /// (a + εa′)(b + εb′) = ab + ε(a′b + ab′)
    @inline(__always) static func * (a: DualLanes, b: DualLanes) -> DualLanes {
        DualLanes(value: a.value * b.value, tangent: a.tangent * b.value + a.value * b.tangent)
    }
    /// (a/b)′ = (a′ − (a/b)·b′)/b
    @inline(__always) static func / (a: DualLanes, b: DualLanes) -> DualLanes {
        let q = a.value / b.value
        return DualLanes(value: q, tangent: (a.tangent - q * b.tangent) / b.value)
    }
    @inline(__always) static prefix func - (a: DualLanes) -> DualLanes { DualLanes(value: -a.value, tangent: -a.tangent) }
    @inline(__always) static func sin(_ x: DualLanes) -> DualLanes { DualLanes(value: lanes(x.value, Foundation.sin), tangent: x.tangent * lanes(x.value, Foundation.cos)) }
    @inline(__always) static func cos(_ x: DualLanes) -> DualLanes { DualLanes(value: lanes(x.value, Foundation.cos), tangent: -x.tangent * lanes(x.value, Foundation.sin)) }
    /// (√x)′ = x′/(2√x)
    @inline(__always) static func sqrt(_ x: DualLanes) -> DualLanes {
        let r = x.value.squareRoot()
        return DualLanes(value: r, tangent: x.tangent / (2 * r))
    }
}

/// Four real numbers, one per lane: the adjoint program's values and first-order gradients alone,
/// with none of the dual numbers' tangent arithmetic.
struct ValueLanes: AdjointLanes {
    /// The values.
    var value: SIMD4<Double>
    /// No tangents: always zero.
    var tangent: SIMD4<Double> { .zero }

    init(value: SIMD4<Double>, tangent: SIMD4<Double>) { self.value = value }
    init(value: SIMD4<Double>) { self.value = value }

    @inline(__always) static func + (a: ValueLanes, b: ValueLanes) -> ValueLanes { ValueLanes(value: a.value + b.value) }
    @inline(__always) static func - (a: ValueLanes, b: ValueLanes) -> ValueLanes { ValueLanes(value: a.value - b.value) }
    @inline(__always) static func * (a: ValueLanes, b: ValueLanes) -> ValueLanes { ValueLanes(value: a.value * b.value) }
    @inline(__always) static func / (a: ValueLanes, b: ValueLanes) -> ValueLanes { ValueLanes(value: a.value / b.value) }
    @inline(__always) static prefix func - (a: ValueLanes) -> ValueLanes { ValueLanes(value: -a.value) }
    @inline(__always) static func sin(_ x: ValueLanes) -> ValueLanes { ValueLanes(value: lanes(x.value, Foundation.sin)) }
    @inline(__always) static func cos(_ x: ValueLanes) -> ValueLanes { ValueLanes(value: lanes(x.value, Foundation.cos)) }
    @inline(__always) static func sqrt(_ x: ValueLanes) -> ValueLanes { ValueLanes(value: x.value.squareRoot()) }
}

/// f applied lane by lane.
@inline(__always) private func lanes(_ x: SIMD4<Double>, _ f: (Double) -> Double) -> SIMD4<Double> {
    SIMD4(f(x[0]), f(x[1]), f(x[2]), f(x[3]))
}

/// A complex number over an ``AdjointScalar``.
struct ComplexOf<T: AdjointScalar> {
    var re: T, im: T

    static var zero: ComplexOf { ComplexOf(re: T(constant: 0), im: T(constant: 0)) }
    @inline(__always) static func + (a: ComplexOf, b: ComplexOf) -> ComplexOf { ComplexOf(re: a.re + b.re, im: a.im + b.im) }
    @inline(__always) static func * (a: ComplexOf, b: ComplexOf) -> ComplexOf {
        ComplexOf(re: a.re * b.re - a.im * b.im, im: a.re * b.im + a.im * b.re)
    }
    @inline(__always) var conjugate: ComplexOf { ComplexOf(re: re, im: -im) }
    /// self · (i·k) for a real constant k.
    @inline(__always) func timesImaginary(_ k: Double) -> ComplexOf {
        let c = T(constant: k)
        return ComplexOf(re: -(im * c), im: re * c)
    }
}
