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
        out[i] = x == 1 ? y : x   // a dimension of 1 takes the other's size, 0 included
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

/// Two operands read with their own strides over a row-major output of `shape`, walked run by run
/// (an odometer over all but the last dimension). Dimensions of size 1 are dropped, and a dimension
/// merges into the next when both operands step through the two as one (stride = next stride ×
/// next size, two broadcast zeros included): a bias [1, C, 1, 1] over [N, C, H, W] becomes
/// [N·C, H·W] with strides (H·W, 1) and (1, 0), so every run is a tight loop over H·W.
struct StridedRuns {
    let shape: [Int], stridesA: [Int], stridesB: [Int]

    init(_ shape: [Int], _ sa: [Int], _ sb: [Int]) {
        var dims: [(n: Int, a: Int, b: Int)] = []
        for d in shape.indices where shape[d] != 1 {
            if let last = dims.last, last.a == sa[d] * shape[d], last.b == sb[d] * shape[d] {
                dims[dims.count - 1] = (last.n * shape[d], sa[d], sb[d])
            } else {
                dims.append((shape[d], sa[d], sb[d]))
            }
        }
        if dims.isEmpty { dims = [(1, 0, 0)] }
        self.shape = dims.map { $0.n }
        stridesA = dims.map { $0.a }
        stridesB = dims.map { $0.b }
    }

    /// The operands' strides along a run.
    var runStrides: (a: Int, b: Int) { (stridesA[stridesA.count - 1], stridesB[stridesB.count - 1]) }

    /// The number of runs (the product of all but the last dimension).
    var runCount: Int { shape.dropLast().reduce(1, *) }

    /// Calls `body(outIndex, offsetA, offsetB, count)` for every run, leaving the loop over the
    /// run to the caller.
    @inline(__always)
    func forEach(_ body: (Int, Int, Int, Int) -> Void) { forEach(runs: 0..<runCount, body) }

    /// The same for the runs in `runs` only (so that threads can split the walk).
    @inline(__always)
    func forEach(runs: Range<Int>, _ body: (Int, Int, Int, Int) -> Void) {
        let (shape, stridesA, stridesB) = (self.shape, self.stridesA, self.stridesB)
        let n = shape.count
        let inner = shape[n - 1]
        guard inner > 0, !runs.isEmpty else { return }
        // the odometer at the first run: its index in mixed radix over the outer dimensions
        var counter = [Int](repeating: 0, count: n)
        var offA = 0, offB = 0, rest = runs.lowerBound
        for d in stride(from: n - 2, through: 0, by: -1) {
            counter[d] = rest % shape[d]
            rest /= shape[d]
            offA += counter[d] * stridesA[d]; offB += counter[d] * stridesB[d]
        }
        var out = runs.lowerBound * inner
        for _ in runs {
            body(out, offA, offB, inner)
            out += inner
            var d = n - 2
            while d >= 0 {
                counter[d] += 1
                offA += stridesA[d]; offB += stridesB[d]
                if counter[d] < shape[d] { break }
                offA -= stridesA[d] * shape[d]; offB -= stridesB[d] * shape[d]
                counter[d] = 0
                d -= 1
            }
        }
    }
}
