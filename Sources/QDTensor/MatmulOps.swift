import Dispatch

/// Matrix products through BLAS `gemm`, C = op(A)·op(B) with op = identity or transpose. The four
/// variants are closed under differentiation, so no transpose is ever materialised:
///
///     C = A·B:    ∂A = G·Bᵀ,   ∂B = Aᵀ·G        C = A·Bᵀ:   ∂A = G·B,    ∂B = Gᵀ·A
///     C = Aᵀ·B:   ∂A = B·Gᵀ,   ∂B = A·G         C = Aᵀ·Bᵀ:  ∂A = Bᵀ·Gᵀ,  ∂B = Gᵀ·Aᵀ
extension Tensor {
    /// op(self)·op(other) for rank-2 tensors.
    public func matmul(_ other: Tensor, transposeSelf ta: Bool = false, transposeOther tb: Bool = false) throws -> Tensor {
        guard rank == 2, other.rank == 2 else {
            throw TensorError.shape("matmul needs rank-2 tensors; got shapes \(shape) and \(other.shape)")
        }
        let (m, k) = ta ? (shape[1], shape[0]) : (shape[0], shape[1])
        let (k2, n) = tb ? (other.shape[1], other.shape[0]) : (other.shape[0], other.shape[1])
        guard k == k2 else {
            throw TensorError.shape("matmul: inner dimensions differ: \(ta ? "transposed " : "")\(shape) · \(tb ? "transposed " : "")\(other.shape) (\(k) vs \(k2))")
        }
        var out = Kernels.repeating(Scalar(0), count: m * n)
        if m > 0, n > 0, k > 0 {
            values.withUnsafeBufferPointer { a in other.values.withUnsafeBufferPointer { b in out.withUnsafeMutableBufferPointer { c in
                // large products split the rows of C over the threads: rows r of op(A) start at
                // A + r·lda, or at A + r when A is read transposed
                let parts = m * n * k >= 1 << 21 ? max(1, min(TensorThreads.count, m / 16)) : 1
                func rows(_ part: Int) {
                    let r0 = m * part / parts, r1 = m * (part + 1) / parts
                    guard r1 > r0 else { return }
                    Scalar.gemm(transposeA: ta, transposeB: tb, m: r1 - r0, n: n, k: k, alpha: 1,
                                a: a.baseAddress! + (ta ? r0 : r0 * shape[1]), lda: shape[1],
                                b: b.baseAddress!, ldb: other.shape[1], beta: 0, c: c.baseAddress! + r0 * n, ldc: n)
                }
                if parts == 1 { rows(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: rows) }
            } } }
        }
        let a = self, b = other
        return Tensor.record(Tensor(unchecked: [m, n], out), [a, b]) { g in
            let ga: Tensor?, gb: Tensor?
            switch (ta, tb) {
            case (false, false): (ga, gb) = (a.requiresGrad ? try g.matmul(b, transposeOther: true) : nil, b.requiresGrad ? try a.matmul(g, transposeSelf: true) : nil)
            case (false, true): (ga, gb) = (a.requiresGrad ? try g.matmul(b) : nil, b.requiresGrad ? try g.matmul(a, transposeSelf: true) : nil)
            case (true, false): (ga, gb) = (a.requiresGrad ? try b.matmul(g, transposeOther: true) : nil, b.requiresGrad ? try a.matmul(g) : nil)
            case (true, true): (ga, gb) = (a.requiresGrad ? try b.matmul(g, transposeSelf: true, transposeOther: true) : nil,
                                           b.requiresGrad ? try g.matmul(a, transposeSelf: true, transposeOther: true) : nil)
            }
            return [ga, gb]
        }
    }
}
