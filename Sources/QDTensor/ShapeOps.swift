/// Reshape, permute, concatenate, slice and gather, each paired with the operation that is its
/// transpose (reshape↔reshape, permute↔inverse permute, slice↔pad, gather↔scatter-add), so the
/// backward rules stay differentiable.
extension Tensor {
    /// The same elements with a new shape; one dimension may be −1 (inferred).
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var target = newShape
        if let k = newShape.firstIndex(of: -1) {
            let known = Tensor.elementCount(newShape.enumerated().filter { $0.offset != k }.map(\.element)) ?? 0
            guard known > 0, count % known == 0 else {
                throw TensorError.shape("reshape: cannot infer -1 in \(newShape) for \(count) element(s) of shape \(shape)")
            }
            target[k] = count / known
        }
        guard Tensor.elementCount(target) == count else {
            throw TensorError.shape("reshape: shape \(shape) (\(count) elements) cannot become \(newShape)")
        }
        return Tensor.record(Tensor(unchecked: target, values), [self]) { g in [try g.reshaped(self.shape)] }
    }

    /// Dimensions reordered: result dimension i is input dimension `axes[i]`.
    public func permuted(_ axes: [Int]) throws -> Tensor {
        guard axes.sorted() == Array(0..<rank) else {
            throw TensorError.argument("permute: \(axes) is not a permutation of 0..<\(rank)")
        }
        let outShape = axes.map { shape[$0] }
        let inStrides = contiguousStrides(shape)
        let read = axes.map { inStrides[$0] }
        let out = Kernels.stridedCopy(values, outShape, read)
        var inverse = [Int](repeating: 0, count: axes.count)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return Tensor.record(Tensor(unchecked: outShape, out), [self]) { g in [try g.permuted(inverse)] }
    }

    /// The matrix transpose of a rank-2 tensor.
    public func transposed() throws -> Tensor {
        guard rank == 2 else { throw TensorError.shape("transpose needs a rank-2 tensor; got shape \(shape)") }
        return try permuted([1, 0])
    }

    /// Elements `range` of `axis`.
    public func sliced(axis: Int, _ range: Range<Int>) throws -> Tensor {
        let a = try normalizedAxes([axis], op: "slice")[0]
        guard range.lowerBound >= 0, range.upperBound <= shape[a] else {
            throw TensorError.argument("slice: range \(range) is outside 0..<\(shape[a]) of axis \(a) (shape \(shape))")
        }
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        let length = range.count * inner
        let out = Kernels.copyBlocks(values, from: (0..<outer).map { ($0 * shape[a] + range.lowerBound) * inner },
                                     to: (0..<outer).map { $0 * length }, count: length, into: outer * length)
        var outShape = shape
        outShape[a] = range.count
        // a slice with nothing outside its axis is one block of the storage: the backward pass
        // assembles all such blocks of this tensor at once (see GradNode.block)
        let storage = outer == 1 ? (range: (range.lowerBound * inner)..<(range.upperBound * inner), inputShape: shape) : nil
        return Tensor.record(Tensor(unchecked: outShape, out), [self], block: storage) { g in
            [try g.padded(axis: a, before: range.lowerBound, after: self.shape[a] - range.upperBound)]
        }
    }

    /// A tensor of `shape`, `base` (zero when nil) with each part's gradient added over its range
    /// of the storage (the transpose of taking the blocks): how the backward pass assembles the
    /// gradient of a tensor read as blocks, onto the sum of its other gradients. Its backward rule
    /// passes the gradient to the base and slices the blocks back out.
    static func assembled(_ parts: [(range: Range<Int>, gradient: Tensor)], shape: [Int], onto base: Tensor? = nil) throws -> Tensor {
        let count = shape.reduce(1, *)
        if let base, base.shape != shape { throw TensorError.shape("assembled: base shape \(base.shape) is not \(shape)") }
        let out = Kernels.addBlocks(parts.map { ($0.range.lowerBound, $0.gradient.values) }, count: count, onto: base?.values)
        return Tensor.record(Tensor(unchecked: shape, out), (base.map { [$0] } ?? []) + parts.map(\.gradient)) { g in
            let flat = try g.reshaped([count])
            return try (base == nil ? [] : [g]) + parts.map { try flat.sliced(axis: 0, $0.range) }
        }
    }

    /// Zeros added before and after along `axis` (the transpose of ``sliced(axis:_:)``).
    public func padded(axis: Int, before: Int, after: Int) throws -> Tensor {
        let a = try normalizedAxes([axis], op: "pad")[0]
        guard before >= 0, after >= 0 else { throw TensorError.argument("pad: amounts \(before), \(after) must be ≥ 0") }
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        let n = shape[a], m = n + before + after
        let out = Kernels.copyBlocks(values, from: (0..<outer).map { $0 * n * inner }, to: (0..<outer).map { ($0 * m + before) * inner },
                                     count: n * inner, into: outer * m * inner)
        var outShape = shape
        outShape[a] = m
        return Tensor.record(Tensor(unchecked: outShape, out), [self]) { g in [try g.sliced(axis: a, before..<(before + n))] }
    }

    /// Tensors joined along `axis`; all other dimensions must agree.
    public static func concatenated(_ parts: [Tensor], axis: Int) throws -> Tensor {
        guard let first = parts.first else { throw TensorError.argument("concat: no tensors given") }
        let a = try first.normalizedAxes([axis], op: "concat")[0]
        for p in parts where p.rank != first.rank || (0..<first.rank).contains(where: { $0 != a && p.shape[$0] != first.shape[$0] }) {
            throw TensorError.shape("concat along axis \(a): shape \(p.shape) does not match \(first.shape) outside that axis")
        }
        let outer = first.shape[..<a].reduce(1, *), inner = first.shape[(a + 1)...].reduce(1, *)
        var out: [Scalar] = []
        out.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for o in 0..<outer {
            for p in parts {
                let len = p.shape[a] * inner
                out.append(contentsOf: p.values[(o * len)..<((o + 1) * len)])
            }
        }
        var outShape = first.shape
        outShape[a] = parts.reduce(0) { $0 + $1.shape[a] }
        let offsets = parts.reduce(into: [0]) { $0.append($0.last! + $1.shape[a]) }
        return record(Tensor(unchecked: outShape, out), parts) { g in
            try parts.indices.map { try g.sliced(axis: a, offsets[$0]..<offsets[$0 + 1]) }
        }
    }

    /// out[i] = x[indices[i]] over the flat elements, shaped `shape`. Indices are checked.
    public func gathered(flatIndices indices: [Int], shape outShape: [Int]) throws -> Tensor {
        guard Tensor.elementCount(outShape) == indices.count else {
            throw TensorError.shape("gather: \(indices.count) indices cannot fill shape \(outShape)")
        }
        let valid = 0..<count
        if let bad = indices.first(where: { !valid.contains($0) }) {
            throw TensorError.argument("gather: index \(bad) is outside \(valid) (shape \(shape))")
        }
        let out = Kernels.gather(values, indices)
        return Tensor.record(Tensor(unchecked: outShape, out), [self]) { g in
            [try g.scatterAdded(flatIndices: indices, shape: self.shape)]
        }
    }

    /// A tensor of `shape`, zero except out[indices[i]] += x[i] (the transpose of ``gathered(flatIndices:shape:)``).
    public func scatterAdded(flatIndices indices: [Int], shape outShape: [Int]) throws -> Tensor {
        guard indices.count == count else {
            throw TensorError.shape("scatter: \(indices.count) indices for \(count) value(s)")
        }
        let total = outShape.reduce(1, *)
        let valid = 0..<total
        if let bad = indices.first(where: { !valid.contains($0) }) {
            throw TensorError.argument("scatter: index \(bad) is outside 0..<\(total) (shape \(outShape))")
        }
        let out = Kernels.scatterAdd(values, indices, count: total)
        return Tensor.record(Tensor(unchecked: outShape, out), [self]) { g in
            [try g.gathered(flatIndices: indices, shape: self.shape)]
        }
    }

    /// Rows `indices` along `axis` (an index select); errors name the valid range.
    public func gathered(axis: Int, indices: [Int]) throws -> Tensor {
        let a = try normalizedAxes([axis], op: "gather")[0]
        let valid = 0..<shape[a]
        if let bad = indices.first(where: { !valid.contains($0) }) {
            throw TensorError.argument("gather: index \(bad) is outside 0..<\(shape[a]) of axis \(a) (shape \(shape))")
        }
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *), size = shape[a]
        var outShape = shape
        outShape[a] = indices.count
        let out = Kernels.gatherRows(values, outer: outer, axisSize: size, indices: indices, inner: inner)
        // the backward pass is the flat gather's, with the flat indices built only when it runs
        return Tensor.record(Tensor(unchecked: outShape, out), [self]) { g in
            var flat: [Int] = []
            flat.reserveCapacity(outer * indices.count * inner)
            for o in 0..<outer { for i in indices { for k in 0..<inner { flat.append((o * size + i) * inner + k) } } }
            return [try g.scatterAdded(flatIndices: flat, shape: self.shape)]
        }
    }
}
