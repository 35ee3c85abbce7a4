/// A dense square complex matrix of dimension `dimension`, row-major.
///
/// Gate matrices act on 2^k amplitudes; row and column indices follow
/// PennyLane's convention, so the first listed wire is the most significant bit.
public struct ComplexMatrix: Equatable, Sendable, CustomStringConvertible {
    /// Number of rows (and columns).
    public let dimension: Int
    /// Entries, row-major: entry (r, c) is at `r * dimension + c`.
    public var entries: [Complex]

    /// A matrix from its entries, row-major; `entries.count` must be `dimension²`.
    public init(dimension: Int, entries: [Complex]) {
        precondition(entries.count == dimension * dimension, "ComplexMatrix: need \(dimension * dimension) entries")
        self.dimension = dimension
        self.entries = entries
    }

    /// A matrix from rows of complex numbers. Throws when the rows are ragged or not square.
    public init(rows: [[Complex]]) throws {
        let d = rows.count
        guard d > 0, rows.allSatisfy({ $0.count == d }) else {
            throw SimulatorError.invalidMatrix("a matrix must be square with at least one row; got rows of lengths \(rows.map(\.count))")
        }
        self.init(dimension: d, entries: rows.flatMap { $0 })
    }

    /// A matrix from rows of reals.
    public init(realRows: [[Double]]) throws {
        try self.init(rows: realRows.map { $0.map { Complex($0) } })
    }

    /// The identity of dimension `d`.
    public static func identity(_ d: Int) -> ComplexMatrix {
        var m = ComplexMatrix(dimension: d, entries: Array(repeating: .zero, count: d * d))
        for k in 0..<d { m[k, k] = .one }
        return m
    }

    /// The diagonal matrix diag(values).
    public static func diagonal(_ values: [Complex]) -> ComplexMatrix {
        var m = ComplexMatrix(dimension: values.count, entries: Array(repeating: .zero, count: values.count * values.count))
        for (k, v) in values.enumerated() { m[k, k] = v }
        return m
    }

    /// Entry at row `r`, column `c`.
    @inlinable public subscript(r: Int, c: Int) -> Complex {
        get { entries[r * dimension + c] }
        set { entries[r * dimension + c] = newValue }
    }

    /// Number of qubits the matrix acts on, log2(dimension), or nil when not a power of two.
    public var qubitCount: Int? {
        guard dimension > 0, dimension & (dimension - 1) == 0 else { return nil }
        return dimension.trailingZeroBitCount
    }

    /// The conjugate transpose M†.
    public var adjoint: ComplexMatrix {
        var m = self
        for r in 0..<dimension { for c in 0..<dimension { m[r, c] = self[c, r].conjugate } }
        return m
    }

    /// Matrix product A·B.
    public static func * (a: ComplexMatrix, b: ComplexMatrix) -> ComplexMatrix {
        let d = a.dimension
        var m = ComplexMatrix(dimension: d, entries: Array(repeating: .zero, count: d * d))
        for r in 0..<d {
            for k in 0..<d {
                let x = a[r, k]
                if x == .zero { continue }
                for c in 0..<d { m[r, c] += x * b[k, c] }
            }
        }
        return m
    }

    /// Entrywise sum.
    public static func + (a: ComplexMatrix, b: ComplexMatrix) -> ComplexMatrix {
        ComplexMatrix(dimension: a.dimension, entries: zip(a.entries, b.entries).map { $0 + $1 })
    }

    /// Scalar multiple.
    public static func * (s: Complex, a: ComplexMatrix) -> ComplexMatrix {
        ComplexMatrix(dimension: a.dimension, entries: a.entries.map { s * $0 })
    }

    /// Kronecker product A ⊗ B (A's index is the more significant).
    public func kron(_ b: ComplexMatrix) -> ComplexMatrix {
        let d = dimension * b.dimension
        var m = ComplexMatrix(dimension: d, entries: Array(repeating: .zero, count: d * d))
        for r1 in 0..<dimension { for c1 in 0..<dimension {
            let x = self[r1, c1]
            for r2 in 0..<b.dimension { for c2 in 0..<b.dimension {
                m[r1 * b.dimension + r2, c1 * b.dimension + c2] = x * b[r2, c2]
            } }
        } }
        return m
    }

    /// Largest entrywise |A − B|.
    public func maxDistance(to other: ComplexMatrix) -> Double {
        zip(entries, other.entries).map { ($0 - $1).magnitudeSquared.squareRoot() }.max() ?? 0
    }

    /// True when M·M† = I to within `tolerance` entrywise.
    public func isUnitary(tolerance: Double = 1e-10) -> Bool {
        (self * adjoint).maxDistance(to: .identity(dimension)) <= tolerance
    }

    /// True when M = M† to within `tolerance` entrywise.
    public func isHermitian(tolerance: Double = 1e-10) -> Bool {
        maxDistance(to: adjoint) <= tolerance
    }

    /// True when every off-diagonal entry is exactly zero.
    public var isDiagonal: Bool {
        for r in 0..<dimension { for c in 0..<dimension where r != c && self[r, c] != .zero { return false } }
        return true
    }

    /// True when every entry is finite.
    public var isFinite: Bool { entries.allSatisfy(\.isFinite) }

    public var description: String {
        (0..<dimension).map { r in "[" + (0..<dimension).map { self[r, $0].description }.joined(separator: ", ") + "]" }
            .joined(separator: "\n")
    }
}
