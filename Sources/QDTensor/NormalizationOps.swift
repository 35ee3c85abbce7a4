/// L2 normalisation (what amplitude embedding needs) and local response normalisation
/// (AlexCifarNet), composed from differentiable operations.
extension Tensor {
    /// x / ‖x‖₂ along `axis` (default: the last). A zero vector is an error, not a NaN.
    public func l2Normalized(axis: Int = -1) throws -> Tensor {
        let a = try normalizedAxes([axis], op: "l2Normalized")[0]
        let norms = try squared().sum(axes: [a], keepDims: true).sqrt()
        if let k = norms.values.firstIndex(where: { !($0 > 0) }) {
            throw TensorError.argument("l2Normalized: vector \(k) along axis \(a) has norm \(norms.values[k]); it must be nonzero and finite")
        }
        return try self / norms
    }

    /// PyTorch's LocalResponseNorm over channels of [N, C, H, W]:
    /// b_c = a_c / (k + α/n · Σ_{c′ ∈ window(c)} a_{c′}²)^β, the window running from c − ⌊n/2⌋ to
    /// c + ⌈n/2⌉ − 1 (zero outside).
    public func localResponseNormalized(size n: Int, alpha: Scalar = 1e-4, beta: Scalar = 0.75, k: Scalar = 1) throws -> Tensor {
        guard rank == 4 else { throw TensorError.shape("localResponseNorm needs [N, C, H, W]; got \(shape)") }
        guard n >= 1 else { throw TensorError.argument("localResponseNorm: size \(n) must be ≥ 1") }
        let window = try squared().channelWindowSum(before: n / 2, after: (n - 1) / 2)
        let denominator = ((window * (alpha / Scalar(n))) + k).log() * beta
        return try self * (-denominator).exp()
    }

    /// s_c = Σ_{c′ = c − before}^{c + after} x_{c′} over channels (zero outside); its transpose is
    /// the same sum with `before` and `after` exchanged.
    func channelWindowSum(before: Int, after: Int) throws -> Tensor {
        let (nb, c, hw) = (shape[0], shape[1], shape[2] * shape[3])
        let out = Kernels.concrete(Scalar.self,
            float: { Kernels.cast(channelWindowSumKernel(Kernels.cast(values, to: Float.self), nb, c, hw, before, after), to: Scalar.self) },
            double: { Kernels.cast(channelWindowSumKernel(Kernels.cast(values, to: Double.self), nb, c, hw, before, after), to: Scalar.self) },
            generic: { channelWindowSumKernel(values, nb, c, hw, before, after) })
        return Tensor.record(Tensor(unchecked: shape, out), [self]) { g in [try g.channelWindowSum(before: after, after: before)] }
    }
}

/// The loop of ``Tensor/channelWindowSum(before:after:)`` over [nb, c, hw], called with a concrete scalar.
private func channelWindowSumKernel<T: TensorScalar>(_ x: [T], _ nb: Int, _ c: Int, _ hw: Int, _ before: Int, _ after: Int) -> [T] {
    var out = [T](repeating: 0, count: x.count)
    x.withUnsafeBufferPointer { x in out.withUnsafeMutableBufferPointer { out in
        for b in 0..<nb { for ch in 0..<c {
            let dst = (b * c + ch) * hw
            for src in max(0, ch - before)...min(c - 1, ch + after) {
                let s = (b * c + src) * hw
                for i in 0..<hw { out[dst + i] += x[s + i] }
            }
        } }
    } }
    return out
}
