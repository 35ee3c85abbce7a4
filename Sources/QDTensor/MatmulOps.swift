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
        let out = Kernels.filled(m * n) { (c: UnsafeMutableBufferPointer<Scalar>) in
            product(other, ta, tb, m: m, n: n, k: k, beta: 0, into: c)
        }
        let a = self, b = other
        // ∂a and ∂b in two pieces, which a parallel backward pass runs side by side
        return Tensor.record(Tensor(unchecked: [m, n], out), [a, b], pieces: [
            ([0], { g in
                guard a.needsGradient else { return [nil] }
                switch (ta, tb) {
                case (false, false): return [try g.matmul(b, transposeOther: true)]
                case (false, true): return [try g.matmul(b)]
                case (true, false): return [try b.matmul(g, transposeOther: true)]
                case (true, true): return [try b.matmul(g, transposeSelf: true, transposeOther: true)]
                }
            }),
            ([1], { g in
                guard b.needsGradient else { return [nil] }
                switch (ta, tb) {
                case (false, false): return [try a.matmul(g, transposeSelf: true)]
                case (false, true): return [try g.matmul(a, transposeSelf: true)]
                case (true, false): return [try a.matmul(g)]
                case (true, true): return [try g.matmul(a, transposeSelf: true, transposeOther: true)]
                }
            }),
        ])
    }

    /// x·Wᵀ + b for x [B, in], W [out, in], b [out] (PyTorch's Linear): the rows of the result start
    /// at b and the product is added to them, in one pass. ∂x = G·W, ∂W = Gᵀ·x, ∂b = Σ_rows G.
    public func linear(_ weight: Tensor, _ bias: Tensor) throws -> Tensor {
        guard rank == 2, weight.rank == 2, bias.rank == 1, weight.shape[1] == shape[1], bias.shape[0] == weight.shape[0] else {
            throw TensorError.shape("linear needs x [B, in], weight [out, in] and bias [out]; got \(shape), \(weight.shape) and \(bias.shape)")
        }
        let (m, n, k) = (shape[0], weight.shape[0], shape[1])
        let out = Kernels.filled(m * n) { (c: UnsafeMutableBufferPointer<Scalar>) in
            bias.values.withUnsafeBufferPointer { b in for r in 0..<m { (c.baseAddress! + r * n).update(from: b.baseAddress!, count: n) } }
            if k > 0 { product(weight, false, true, m: m, n: n, k: k, beta: 1, into: c) }
        }
        let x = self
        return Tensor.record(Tensor(unchecked: [m, n], out), [x, weight, bias], pieces: [
            ([0], { g in [x.needsGradient ? try g.matmul(weight) : nil] }),
            ([1, 2], { g in [weight.needsGradient ? try g.matmul(x, transposeSelf: true) : nil, bias.needsGradient ? try g.sum(axes: [0]) : nil] }),
        ])
    }

    /// C = op(self)·op(other) + β·C into `c` [m, n]; large products split the rows of C over the
    /// threads (rows r of op(self) start at self + r·lda, or at self + r when it is read transposed).
    private func product(_ other: Tensor, _ ta: Bool, _ tb: Bool, m: Int, n: Int, k: Int, beta: Scalar,
                         into c: UnsafeMutableBufferPointer<Scalar>) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else { if beta == 0 { c.update(repeating: 0) }; return }
        values.withUnsafeBufferPointer { a in other.values.withUnsafeBufferPointer { b in
            let parts = m * n * k >= 1 << 21 ? max(1, min(TensorThreads.count, m / 16)) : 1
            func rows(_ part: Int) {
                let r0 = m * part / parts, r1 = m * (part + 1) / parts
                guard r1 > r0 else { return }
                Scalar.gemm(transposeA: ta, transposeB: tb, m: r1 - r0, n: n, k: k, alpha: 1,
                            a: a.baseAddress! + (ta ? r0 : r0 * shape[1]), lda: shape[1],
                            b: b.baseAddress!, ldb: other.shape[1], beta: beta, c: c.baseAddress! + r0 * n, ldc: n)
            }
            if parts == 1 { rows(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: rows) }
        } }
    }
}
