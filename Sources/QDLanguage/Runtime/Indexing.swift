/// Indexing and slicing: `x[i]`, `x[-1]`, `x[2..<5]`, `m[i, j]` on lists, strings, ranges,
/// tensors, records (by field name) and circuit parameters/inputs.
extension Interpreter {
    /// `base[indices...]`.
    func indexValue(_ base: Value, _ indices: [Value]) throws -> Value {
        guard let first = indices.first else { return base }
        let rest = Array(indices.dropFirst())
        switch base {
        case .list(let items):
            return try indexValue(try pick(items, first, what: "list").map(Value.list) { $0 }, rest)
        case .string(let s):
            let chars = Array(s)
            return try indexValue(try pick(chars, first, what: "string").map { .string(String($0)) } else: { .string(String($0)) }, rest)
        case .range(let lo, let hi):
            let items = Array(lo..<max(lo, hi)).map { Value.int($0) }
            return try indexValue(try pick(items, first, what: "range").map(Value.list) { $0 }, rest)
        case .record(let fields):
            guard case .string(let key) = first else { throw RuntimeError("a record is indexed by a field name string; got \(first.typeName)") }
            guard let v = fields.first(where: { $0.0 == key })?.1 else {
                throw RuntimeError("record has no field \"\(key)\"; its fields are \(fields.map(\.0).joined(separator: ", "))")
            }
            return try indexValue(v, rest)
        case .tensor(let t):
            return try indexTensor(t, indices)
        case .symbol(let s):
            return .symbol(try indexSymbol(s, indices))
        default:
            throw RuntimeError("\(base.typeName) cannot be indexed")
        }
    }

    private func position(_ v: Value, count: Int, what: String) throws -> Int {
        guard let i = v.asInt else { throw RuntimeError("a \(what) index must be an integer or a range; got \(v.typeName)") }
        let k = i < 0 ? i + count : i
        guard (0..<count).contains(k) else {
            let valid = count == 0 ? "it is empty, so no index is valid" : "valid indices are 0..<\(count) (or -\(count)...-1)"
            throw RuntimeError("index \(i) is out of range for a \(what) of length \(count); \(valid)")
        }
        return k
    }

    private func slice(_ lo: Int, _ hi: Int, count: Int, what: String) throws -> Range<Int> {
        guard lo >= 0, hi <= count, lo <= hi else {
            throw RuntimeError("slice \(lo)..<\(hi) is out of range for a \(what) of length \(count); it must lie within 0..<\(count)")
        }
        return lo..<hi
    }

    /// One element (`.single`) or a slice (`.many`) of `items`.
    private func pick<T>(_ items: [T], _ index: Value, what: String) throws -> Picked<T> {
        if case .range(let lo, let hi) = index { return .many(Array(items[try slice(lo, hi, count: items.count, what: what)])) }
        return .single(items[try position(index, count: items.count, what: what)])
    }

    private func indexTensor(_ t: NDArray, _ indices: [Value]) throws -> Value {
        guard indices.count <= t.shape.count else {
            throw RuntimeError("\(indices.count) indices for a tensor of shape \(t.shape), which has \(t.shape.count) dimension(s)")
        }
        var shape: [Int] = []
        var ranges: [Range<Int>] = []
        for (d, index) in indices.enumerated() {
            if case .range(let lo, let hi) = index {
                let r = try slice(lo, hi, count: t.shape[d], what: "dimension \(d)")
                ranges.append(r)
                shape.append(r.count)
            } else {
                let k = try position(index, count: t.shape[d], what: "dimension \(d) (size \(t.shape[d]))")
                ranges.append(k..<(k + 1))
            }
        }
        let trailing = Array(t.shape.dropFirst(indices.count))
        let inner = trailing.reduce(1, *)
        var strides = [Int](repeating: inner, count: indices.count)
        for d in stride(from: indices.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * t.shape[d + 1] }
        var out: [Double] = []
        func walk(_ d: Int, _ base: Int) {
            if d == indices.count { out.append(contentsOf: t.data[base..<(base + inner)]); return }
            for k in ranges[d] { walk(d + 1, base + k * strides[d]) }
        }
        walk(0, 0)
        let resultShape = shape + trailing
        if resultShape.isEmpty { return .number(out[0]) }
        return .tensor(NDArray(shape: resultShape, data: out))
    }

    private func indexSymbol(_ s: CircuitSymbol, _ indices: [Value]) throws -> CircuitSymbol {
        var s = s
        for index in indices {
            guard let size = s.shape.first else { throw RuntimeError("\(s.name) has no more dimensions to index") }
            let inner = s.shape.dropFirst().reduce(1, *)
            if case .range(let lo, let hi) = index {
                let r = try slice(lo, hi, count: size, what: "dimension of \(s.name)")
                s.offset += r.lowerBound * inner
                s.shape[0] = r.count
            } else {
                let k = try position(index, count: size, what: "dimension of \(s.name) (size \(size))")
                s.offset += k * inner
                s.shape.removeFirst()
            }
        }
        return s
    }

    /// `base` with the element at `indices` replaced by `value`.
    func setIndex(_ base: Value, _ indices: [Value], _ value: Value) throws -> Value {
        guard let first = indices.first else { return value }
        switch base {
        case .list(var items):
            let k = try position(first, count: items.count, what: "list")
            items[k] = try setIndex(items[k], Array(indices.dropFirst()), value)
            return .list(items)
        case .tensor(var t):
            guard indices.count == t.shape.count, let x = value.asDouble else {
                throw RuntimeError("assign one number to one tensor element: give \(t.shape.count) integer indices")
            }
            var flat = 0
            for (d, index) in indices.enumerated() { flat = flat * t.shape[d] + (try position(index, count: t.shape[d], what: "dimension \(d)")) }
            t.data[flat] = x
            return .tensor(t)
        default:
            throw RuntimeError("elements of a \(base.typeName) cannot be assigned")
        }
    }
}

private enum Picked<T> {
    case single(T)
    case many([T])

    func map(_ many: ([T]) -> Value, _ single: (T) -> Value) -> Value {
        switch self {
        case .single(let x): return single(x)
        case .many(let xs): return many(xs)
        }
    }

    func map(_ single: (T) -> Value, else many: ([T]) -> Value) -> Value {
        switch self {
        case .single(let x): return single(x)
        case .many(let xs): return many(xs)
        }
    }
}
