/// Sums and means over axes, and broadcasting a tensor to a larger shape (sum's transpose).
extension Tensor {
    /// Validates axes (negative counts from the end) and returns them sorted and distinct.
    func normalizedAxes(_ axes: [Int], op: String) throws -> [Int] {
        let r = rank
        let fixed = try axes.map { a -> Int in
            let x = a < 0 ? a + r : a
            guard (0..<max(r, 1)).contains(x) else {
                throw TensorError.argument("\(op): axis \(a) is out of range for a rank-\(r) tensor (valid: \(-r)..<\(r))")
            }
            return x
        }
        return Array(Set(fixed)).sorted()
    }

    /// Σ of every element, as a scalar tensor.
    public func sum() -> Tensor {
        let total = Kernels.reduceSum(values, [count], [0], outCount: 1)
        return Tensor.record(Tensor(unchecked: [], total), [self]) { g in [try g.expanded(to: self.shape)] }
    }

    /// Σ over `axes`; with `keepDims` the reduced axes stay as size 1.
    public func sum(axes: [Int], keepDims: Bool = false) throws -> Tensor {
        let ax = try normalizedAxes(axes, op: "sum")
        let kept = shape.enumerated().map { ax.contains($0.offset) ? 1 : $0.element }
        let out = Kernels.reduceSum(values, shape, broadcastStrides(kept, to: shape), outCount: kept.reduce(1, *))
        let result = Tensor(unchecked: keepDims ? kept : shape.enumerated().filter { !ax.contains($0.offset) }.map { $0.element }, out)
        return Tensor.record(result, [self]) { g in [try g.reshaped(kept).expanded(to: self.shape)] }
    }

    /// Mean over `axes`.
    public func mean(axes: [Int], keepDims: Bool = false) throws -> Tensor {
        let ax = try normalizedAxes(axes, op: "mean")
        let n = ax.reduce(1) { $0 * shape[$1] }
        return try sum(axes: ax, keepDims: keepDims) * (1 / Scalar(max(n, 1)))
    }

    /// Mean of every element.
    public func mean() -> Tensor { sum() * (1 / Scalar(max(count, 1))) }

    /// This tensor broadcast to `target` (copying); the backward rule sums back.
    public func expanded(to target: [Int]) throws -> Tensor {
        if target == shape { return self }
        let full = try broadcastShape(shape, target, op: "expand")
        guard full == target else { throw TensorError.shape("expand: shape \(shape) does not broadcast to \(target)") }
        let out = Kernels.stridedCopy(values, target, broadcastStrides(shape, to: target))
        return Tensor.record(Tensor(unchecked: target, out), [self]) { g in [try g.summed(toShape: self.shape)] }
    }

    /// Sums a broadcast gradient back to `target` (the transpose of ``expanded(to:)``).
    public func summed(toShape target: [Int]) throws -> Tensor {
        if target == shape { return self }
        let lead = rank - target.count
        guard lead >= 0 else { throw TensorError.shape("cannot sum shape \(shape) down to the larger shape \(target)") }
        var axes = Array(0..<lead)
        for (i, d) in target.enumerated() where d == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
        return try sum(axes: axes, keepDims: true).reshaped(target)
    }
}
