import Foundation

/// Eigen-decomposition of a Hermitian matrix H = V·diag(λ)·V†, by cyclic Jacobi on the real
/// symmetric embedding [[Re H, −Im H], [Im H, Re H]], whose spectrum is H's with each value twice.
/// Complex eigenvectors u + iv are recovered from the embedding's (u; v) and orthonormalised
/// within each eigenvalue by Gram–Schmidt. Used to sample Hermitian observables in their eigenbasis.
public func hermitianEigen(_ h: ComplexMatrix) -> (values: [Double], vectors: ComplexMatrix) {
    let d = h.dimension, m = 2 * d
    var a = [Double](repeating: 0, count: m * m)
    var v = [Double](repeating: 0, count: m * m)
    for r in 0..<d { for c in 0..<d {
        let e = h[r, c]
        a[r * m + c] = e.re; a[(r + d) * m + c + d] = e.re
        a[r * m + c + d] = -e.im; a[(r + d) * m + c] = e.im
    } }
    for k in 0..<m { v[k * m + k] = 1 }
    for _ in 0..<100 {
        var off = 0.0
        for p in 0..<m { for q in (p + 1)..<m { off += a[p * m + q] * a[p * m + q] } }
        if off < 1e-30 { break }
        for p in 0..<m { for q in (p + 1)..<m where abs(a[p * m + q]) > 1e-300 {
            let theta = (a[q * m + q] - a[p * m + p]) / (2 * a[p * m + q])
            let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
            let c = 1 / (t * t + 1).squareRoot(), s = t * c
            for k in 0..<m {
                let akp = a[k * m + p], akq = a[k * m + q]
                a[k * m + p] = c * akp - s * akq; a[k * m + q] = s * akp + c * akq
            }
            for k in 0..<m {
                let apk = a[p * m + k], aqk = a[q * m + k]
                a[p * m + k] = c * apk - s * aqk; a[q * m + k] = s * apk + c * aqk
            }
            for k in 0..<m {
                let vkp = v[k * m + p], vkq = v[k * m + q]
                v[k * m + p] = c * vkp - s * vkq; v[k * m + q] = s * vkp + c * vkq
            }
        } }
    }
    let order = (0..<m).sorted { a[$0 * m + $0] < a[$1 * m + $1] }
    var values: [Double] = [], vectors: [[Complex]] = []
    for j in order where vectors.count < d {
        var z = (0..<d).map { Complex(v[$0 * m + j], v[($0 + d) * m + j]) }
        for u in vectors {
            var dot = Complex.zero
            for k in 0..<d { dot += u[k].conjugate * z[k] }
            for k in 0..<d { z[k] = z[k] - dot * u[k] }
        }
        let norm = z.reduce(0) { $0 + $1.magnitudeSquared }.squareRoot()
        if norm > 0.5 {
            vectors.append(z.map { (1 / norm) * $0 })
            values.append(a[j * m + j])
        }
    }
    var matrix = ComplexMatrix.identity(d)
    for (c, u) in vectors.enumerated() { for r in 0..<d { matrix[r, c] = u[r] } }
    return (values, matrix)
}
