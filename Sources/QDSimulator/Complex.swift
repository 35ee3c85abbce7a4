import Foundation

/// A complex number `re + i·im` in Float64.
///
/// Used for gate and observable matrices; the statevector itself stores real and
/// imaginary parts in separate arrays (see ``StateBatch``) for speed.
public struct Complex: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Real part.
    public var re: Double
    /// Imaginary part.
    public var im: Double

    /// Creates `re + i·im`.
    @inlinable public init(_ re: Double, _ im: Double = 0) { self.re = re; self.im = im }

    /// 0.
    public static let zero = Complex(0, 0)
    /// 1.
    public static let one = Complex(1, 0)
    /// The imaginary unit i.
    public static let i = Complex(0, 1)

    /// e^{iθ} = cos θ + i sin θ.
    @inlinable public static func phase(_ theta: Double) -> Complex { Complex(cos(theta), sin(theta)) }

    /// The complex conjugate re − i·im.
    @inlinable public var conjugate: Complex { Complex(re, -im) }
    /// |z|² = re² + im².
    @inlinable public var magnitudeSquared: Double { re * re + im * im }
    /// True when both parts are finite.
    @inlinable public var isFinite: Bool { re.isFinite && im.isFinite }

    @inlinable public static func + (a: Complex, b: Complex) -> Complex { Complex(a.re + b.re, a.im + b.im) }
    @inlinable public static func - (a: Complex, b: Complex) -> Complex { Complex(a.re - b.re, a.im - b.im) }
    @inlinable public static prefix func - (a: Complex) -> Complex { Complex(-a.re, -a.im) }
    @inlinable public static func * (a: Complex, b: Complex) -> Complex {
        Complex(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
    }
    @inlinable public static func * (s: Double, a: Complex) -> Complex { Complex(s * a.re, s * a.im) }
    @inlinable public static func += (a: inout Complex, b: Complex) { a = a + b }

    public var description: String {
        if im == 0 { return "\(re)" }
        if re == 0 { return "\(im)i" }
        return im < 0 ? "\(re)-\(-im)i" : "\(re)+\(im)i"
    }
}
