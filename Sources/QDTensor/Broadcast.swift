/// NumPy broadcasting: shapes are aligned at their last dimension, and a dimension of 1 (or a
/// missing one) stretches to match the other.

/// Row-major strides of `shape`.
func contiguousStrides(_ shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for d in stride(from: shape.count - 1, through: 0, by: -1) { s[d] = acc; acc *= shape[d] }
    return s
}

/// The broadcast shape of `a` and `b`, or an error naming both.
func broadcastShape(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
    let n = max(a.count, b.count)
    var out = [Int](repeating: 1, count: n)
    for i in 0..<n {
        let x = i < n - a.count ? 1 : a[i - (n - a.count)]
        let y = i < n - b.count ? 1 : b[i - (n - b.count)]
        guard x == y || x == 1 || y == 1 else {
            throw TensorError.shape("\(op): shapes \(a) and \(b) do not broadcast (dimension \(i) from the left of the result: \(x) vs \(y))")
        }
        out[i] = max(x, y)
    }
    return out
}

/// Strides for reading a tensor of `shape` as if it had `target` shape (0 on broadcast dimensions).
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let own = contiguousStrides(shape)
    let offset = target.count - shape.count
    return (0..<target.count).map { i in
        i < offset ? 0 : (shape[i - offset] == 1 && target[i] != 1 ? 0 : own[i - offset])
    }
}

/// Calls `body(outIndex, offsetA, offsetB)` for every element of `shape`, where the offsets
/// follow strides `sa` and `sb`.
@inline(__always)
func forEachIndex(_ shape: [Int], _ sa: [Int], _ sb: [Int], _ body: (Int, Int, Int) -> Void) {
    guard let ia = sa.last, let ib = sb.last else { body(0, 0, 0); return }
    forEachRow(shape, sa, sb) { out, a, b, inner in
        for j in 0..<inner { body(out + j, a + j * ia, b + j * ib) }
    }
}

/// Calls `body(outIndex, offsetA, offsetB, count)` for every run of the last dimension of `shape`
/// (an odometer over the other dimensions), leaving the tight loop over the run to the caller.
@inline(__always)
func forEachRow(_ shape: [Int], _ sa: [Int], _ sb: [Int], _ body: (Int, Int, Int, Int) -> Void) {
    let n = shape.count
    guard n > 0 else { body(0, 0, 0, 1); return }
    let total = shape.reduce(1, *)
    guard total > 0 else { return }
    let inner = shape[n - 1]
    var counter = [Int](repeating: 0, count: n)
    var offA = 0, offB = 0, out = 0
    while out < total {
        body(out, offA, offB, inner)
        out += inner
        var d = n - 2
        while d >= 0 {
            counter[d] += 1
            offA += sa[d]; offB += sb[d]
            if counter[d] < shape[d] { break }
            offA -= sa[d] * shape[d]; offB -= sb[d] * shape[d]
            counter[d] = 0
            d -= 1
        }
        if d < 0 { break }
    }
}

/// The same iteration with fewer dimensions: size-1 dimensions dropped, and each dimension merged
/// into the next when both operands step through them as one (stride = next stride × next size,
/// which includes two broadcast zeros). A bias [1, C, 1, 1] added to [N, C, H, W] becomes
/// [N·C, H·W] with strides (H·W, 1) and (1, 0): a tight inner loop over H·W.
func coalesced(_ shape: [Int], _ sa: [Int], _ sb: [Int]) -> (shape: [Int], sa: [Int], sb: [Int]) {
    var dims: [(n: Int, a: Int, b: Int)] = []
    for d in shape.indices where shape[d] != 1 {
        if let last = dims.last, last.a == sa[d] * shape[d], last.b == sb[d] * shape[d] {
            dims[dims.count - 1] = (last.n * shape[d], sa[d], sb[d])
        } else {
            dims.append((shape[d], sa[d], sb[d]))
        }
    }
    if dims.isEmpty { return ([1], [0], [0]) }
    return (dims.map { $0.n }, dims.map { $0.a }, dims.map { $0.b })
}
