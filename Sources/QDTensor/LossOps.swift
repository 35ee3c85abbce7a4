/// Log-softmax and cross-entropy, built from differentiable operations.
extension Tensor {
    /// log softmax over the last axis: x − m − log Σ exp(x − m), with m = max (a constant shift
    /// for stability that does not change the value or the gradient).
    public func logSoftmax() throws -> Tensor {
        guard rank >= 1, let last = shape.last, last > 0 else { throw TensorError.shape("logSoftmax needs a non-empty last axis; got \(shape)") }
        let rows = count / last
        let maxima = Kernels.concrete(Scalar.self,
            float: { Kernels.cast(rowMaxima(Kernels.cast(values, to: Float.self), rows: rows), to: Scalar.self) },
            double: { Kernels.cast(rowMaxima(Kernels.cast(values, to: Double.self), rows: rows), to: Scalar.self) },
            generic: { rowMaxima(values, rows: rows) })
        let m = Tensor(unchecked: Array(shape.dropLast()) + [1], maxima)
        let shifted = try self - m
        let lse = try shifted.exp().sum(axes: [-1], keepDims: true).log()
        return try shifted - lse
    }

    /// Mean cross-entropy of logits [B, K] against class indices (hard labels).
    public func crossEntropy(labels: [Int]) throws -> Tensor {
        guard rank == 2, labels.count == shape[0] else {
            throw TensorError.shape("crossEntropy: logits \(shape) need [B, K] with B = \(labels.count) labels")
        }
        if let bad = labels.first(where: { !(0..<shape[1]).contains($0) }) {
            throw TensorError.argument("crossEntropy: label \(bad) is outside 0..<\(shape[1])")
        }
        let picked = try logSoftmax().gathered(flatIndices: labels.enumerated().map { $0.offset * shape[1] + $0.element },
                                               shape: [labels.count])
        return -picked.mean()
    }

    /// Mean cross-entropy of logits [B, K] against target distributions [B, K] (soft labels):
    /// −(1/B) Σ_b Σ_k t_bk log softmax(x)_bk.
    public func crossEntropy(targets: Tensor) throws -> Tensor {
        guard rank == 2, targets.shape == shape else {
            throw TensorError.shape("crossEntropy: logits \(shape) and soft targets \(targets.shape) must both be [B, K]")
        }
        return -(try (targets * logSoftmax()).sum() * (1 / Scalar(shape[0])))
    }
}

/// The maximum of each of the `rows` equal rows of `x`, called with a concrete scalar.
private func rowMaxima<T: TensorScalar>(_ x: [T], rows: Int) -> [T] {
    let width = x.count / rows
    return (0..<rows).map { r in x[(r * width)..<((r + 1) * width)].max()! }
}
