/// L2 normalisation (what amplitude embedding needs), composed from differentiable operations.
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
}
