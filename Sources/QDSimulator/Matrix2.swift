/// A 2×2 complex matrix as eight doubles: the operand of the one-qubit kernels and the
/// allocation-free arithmetic of gate fusion. One-wire gate matrices are defined here first
/// (``Gate/oneWire(_:)``) and exposed as ``ComplexMatrix`` through ``Gate/matrix(_:)``.
struct Matrix2: Equatable {
    var r00, i00, r01, i01, r10, i10, r11, i11: Double

    init(_ a: Complex, _ b: Complex, _ c: Complex, _ d: Complex) {
        (r00, i00, r01, i01) = (a.re, a.im, b.re, b.im)
        (r10, i10, r11, i11) = (c.re, c.im, d.re, d.im)
    }

    init(_ m: ComplexMatrix) { self.init(m[0, 0], m[0, 1], m[1, 0], m[1, 1]) }

    static let identity = Matrix2(.one, .zero, .zero, .one)

    /// diag(a, d).
    static func diagonal(_ a: Complex, _ d: Complex) -> Matrix2 { Matrix2(a, .zero, .zero, d) }

    var e00: Complex { Complex(r00, i00) }
    var e01: Complex { Complex(r01, i01) }
    var e10: Complex { Complex(r10, i10) }
    var e11: Complex { Complex(r11, i11) }

    /// The same matrix as a ``ComplexMatrix``.
    var complexMatrix: ComplexMatrix { ComplexMatrix(dimension: 2, entries: [e00, e01, e10, e11]) }

    /// M†.
    var adjoint: Matrix2 { Matrix2(e00.conjugate, e10.conjugate, e01.conjugate, e11.conjugate) }

    /// True when every entry is real.
    var isReal: Bool { i00 == 0 && i01 == 0 && i10 == 0 && i11 == 0 }

    /// True when both off-diagonal entries are exactly zero.
    var isDiagonal: Bool { r01 == 0 && i01 == 0 && r10 == 0 && i10 == 0 }

    /// A·B.
    static func * (a: Matrix2, b: Matrix2) -> Matrix2 {
        Matrix2(a.e00 * b.e00 + a.e01 * b.e10, a.e00 * b.e01 + a.e01 * b.e11,
                a.e10 * b.e00 + a.e11 * b.e10, a.e10 * b.e01 + a.e11 * b.e11)
    }

    /// s·M.
    static func * (s: Complex, m: Matrix2) -> Matrix2 { Matrix2(s * m.e00, s * m.e01, s * m.e10, s * m.e11) }
}

/// Up to three gate parameter values, without an array.
struct GateAngles {
    var values: (Double, Double, Double) = (0, 0, 0)

    init(_ list: [Double]) {
        if list.count > 0 { values.0 = list[0] }
        if list.count > 1 { values.1 = list[1] }
        if list.count > 2 { values.2 = list[2] }
    }

    init(_ a: Double, _ b: Double = 0, _ c: Double = 0) { values = (a, b, c) }

    subscript(k: Int) -> Double { k == 0 ? values.0 : (k == 1 ? values.1 : values.2) }
}
