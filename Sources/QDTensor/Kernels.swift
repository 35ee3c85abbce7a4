/// The heavy loops of the tensor operations, run at full speed whatever the caller's genericity.
///
/// Public operations are generic over ``TensorScalar``. Called from another module with a concrete
/// type, a generic function runs unspecialised (every `+` through a witness table), which is
/// 20× slower. So each kernel here has one generic entry point that checks once per operation
/// whether the scalar is `Float` or `Double` and calls its implementation with that concrete type,
/// which whole-module optimisation specialises inside this module. Elementwise work is named by an
/// enum rather than passed as a closure, so the specialised loops vectorise.
enum Kernels {
    /// Runs `float` or `double` when `S` is that type (the only conformances), so the compiler
    /// specialises what they call; `generic` is the unspecialised fallback.
    @inline(__always)
    static func concrete<S: TensorScalar, R>(_ s: S.Type, float: () -> R, double: () -> R, generic: () -> R) -> R {
        if S.self == Float.self { return float() }
        if S.self == Double.self { return double() }
        return generic()
    }

    @inline(__always) static func cast<A, B>(_ x: [A], to: B.Type) -> [B] { unsafeBitCast(x, to: [B].self) }

    /// An array of `count` elements that `fill` writes completely (no zero-fill first).
    @inline(__always)
    static func filled<T>(_ count: Int, _ fill: (UnsafeMutableBufferPointer<T>) -> Void) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(buffer)
            initialized = count
        }
    }

    /// `count` copies of `value`. `[S](repeating:count:)` in generic code copies element by element
    /// through a value witness; this fills a concrete array instead.
    static func repeating<S: TensorScalar>(_ value: S, count: Int) -> [S] {
        concrete(S.self,
                 float: { cast([Float](repeating: Float(value), count: count), to: S.self) },
                 double: { cast([Double](repeating: Double(value), count: count), to: S.self) },
                 generic: { [S](repeating: value, count: count) })
    }

    // MARK: elementwise

    static func binary<S: TensorScalar>(_ op: BinaryOp, _ a: [S], _ aShape: [Int], _ b: [S], _ bShape: [Int], _ out: [Int]) -> [S] {
        concrete(S.self,
                 float: { cast(binaryImpl(op, cast(a, to: Float.self), aShape, cast(b, to: Float.self), bShape, out), to: S.self) },
                 double: { cast(binaryImpl(op, cast(a, to: Double.self), aShape, cast(b, to: Double.self), bShape, out), to: S.self) },
                 generic: { binaryImpl(op, a, aShape, b, bShape, out) })
    }

    static func unary<S: TensorScalar>(_ op: UnaryOp, _ x: [S]) -> [S] {
        concrete(S.self,
                 float: { cast(unaryImpl(op, cast(x, to: Float.self)), to: S.self) },
                 double: { cast(unaryImpl(op, cast(x, to: Double.self)), to: S.self) },
                 generic: { unaryImpl(op, x) })
    }

    private static func binaryImpl<T: TensorScalar>(_ op: BinaryOp, _ a: [T], _ aShape: [Int], _ b: [T], _ bShape: [Int], _ shape: [Int]) -> [T] {
        filled(shape.reduce(1, *)) { o in a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in
            if aShape == bShape {
                forEachRange(o.count, work: o.count) { r in
                    switch op {
                    case .add: for i in r { o[i] = x[i] + y[i] }
                    case .subtract: for i in r { o[i] = x[i] - y[i] }
                    case .multiply: for i in r { o[i] = x[i] * y[i] }
                    case .divide: for i in r { o[i] = x[i] / y[i] }
                    }
                }
                return
            }
            guard o.count > 0 else { return }
            let runs = StridedRuns(shape, broadcastStrides(aShape, to: shape), broadcastStrides(bShape, to: shape))
            let total = o.count, (o, x, y) = (o.baseAddress!, x.baseAddress!, y.baseAddress!)
            @inline(__always) func run<C: ElementCombination>(_: C.Type) {
                forEachRange(runs.runCount, work: total) { range in
                    runs.forEach(runs: range) { out, a, b, n in combineRun(C.self, o + out, x + a, y + b, runs.runStrides, n) }
                }
            }
            switch op {
            case .add: run(Sum.self)
            case .subtract: run(Difference.self)
            case .multiply: run(Product.self)
            case .divide: run(Quotient.self)
            }
        } } }
    }

    /// o[j] = x[j·sx] ∘ y[j·sy] for j < n. A run is usually contiguous in one operand and broadcast
    /// (stride 0) or contiguous in the other: those get loops of their own, which vectorise, and the
    /// operation is a type, so each loop is compiled with it inline (a closure here cost about 1 ns
    /// per element: 60 µs for θ·η over the quantum LeNet's 59,369 parameters).
    @inline(__always)
    private static func combineRun<C: ElementCombination, T: TensorScalar>(_: C.Type, _ o: UnsafeMutablePointer<T>, _ x: UnsafePointer<T>,
                                                                        _ y: UnsafePointer<T>, _ strides: (Int, Int), _ n: Int) {
        switch strides {
        case (1, 0): let v = y[0]; for j in 0..<n { o[j] = C.apply(x[j], v) }
        case (0, 1): let v = x[0]; for j in 0..<n { o[j] = C.apply(v, y[j]) }
        case (1, 1): for j in 0..<n { o[j] = C.apply(x[j], y[j]) }
        case let (sx, sy): for j in 0..<n { o[j] = C.apply(x[j * sx], y[j * sy]) }
        }
    }

    private static func unaryImpl<T: TensorScalar>(_ op: UnaryOp, _ x: [T]) -> [T] {
        filled(x.count) { o in x.withUnsafeBufferPointer { xp in
            let n = o.count
            switch op {
            case .negate: for i in 0..<n { o[i] = -xp[i] }
            case .scale(let s): let k = T(s); for i in 0..<n { o[i] = xp[i] * k }
            case .shift(let s): let k = T(s); for i in 0..<n { o[i] = xp[i] + k }
            case .exp: for i in 0..<n { o[i] = T.exp(xp[i]) }
            case .log: for i in 0..<n { o[i] = T.log(xp[i]) }
            case .tanh: for i in 0..<n { o[i] = T.tanh(xp[i]) }
            case .sqrt: for i in 0..<n { o[i] = T.sqrt(xp[i]) }
            case .square: for i in 0..<n { o[i] = xp[i] * xp[i] }
            case .sigmoid: for i in 0..<n { o[i] = 1 / (1 + T.exp(-xp[i])) }
            case .softplus: for i in 0..<n { let v = xp[i]; o[i] = v > 0 ? v + T.log(1 + T.exp(-v)) : T.log(1 + T.exp(v)) }
            case .relu: for i in 0..<n { o[i] = xp[i] > 0 ? xp[i] : 0 }
            case .positiveMask: for i in 0..<n { o[i] = xp[i] > 0 ? 1 : 0 }
            case .sin: for i in 0..<n { o[i] = T.sin(xp[i]) }
            case .cos: for i in 0..<n { o[i] = T.cos(xp[i]) }
            }
        } }
    }

    // MARK: layout and reductions

    /// out[o] += x[i] where o follows strides `outStrides` (0 on reduced axes) over `shape`.
    static func reduceSum<S: TensorScalar>(_ x: [S], _ shape: [Int], _ outStrides: [Int], outCount: Int) -> [S] {
        concrete(S.self,
                 float: { cast(reduceSumImpl(cast(x, to: Float.self), shape, outStrides, outCount), to: S.self) },
                 double: { cast(reduceSumImpl(cast(x, to: Double.self), shape, outStrides, outCount), to: S.self) },
                 generic: { reduceSumImpl(x, shape, outStrides, outCount) })
    }

    private static func reduceSumImpl<T: TensorScalar>(_ x: [T], _ shape: [Int], _ so: [Int], _ outCount: Int) -> [T] {
        let runs = StridedRuns(shape, contiguousStrides(shape), so), outStride = runs.runStrides.b
        // large reductions split their runs over the threads, each into its own partial sums
        let parts = partCount(runs.runCount, work: x.count)
        var partials = [[T]](repeating: [T](repeating: 0, count: outCount), count: parts)
        x.withUnsafeBufferPointer { xp in partials.withUnsafeMutableBufferPointer { partialsBuffer in
            let partialsBase = partialsBuffer.baseAddress!
            forEachPart(runs.runCount, parts: parts) { part, range in
                partialsBase[part].withUnsafeMutableBufferPointer { o in
                    // a run is either summed into one value (output stride 0) or added elementwise
                    runs.forEach(runs: range) { _, ix, io, n in
                        switch outStride {
                        case 0: o[io] += runSum(xp.baseAddress! + ix, n)
                        case 1: for j in 0..<n { o[io + j] += xp[ix + j] }
                        default: for j in 0..<n { o[io + j * outStride] += xp[ix + j] }
                        }
                    }
                }
            }
        } }
        var out = partials[0]
        for part in partials.dropFirst() { for k in out.indices { out[k] += part[k] } }
        return out
    }

    /// Σ p[0..<n] in four eight-wide accumulators (independent add chains), then the tail.
    @inline(__always)
    static func runSum<T: TensorScalar>(_ p: UnsafePointer<T>, _ n: Int) -> T {
        runSum(n, eight: { loadEight(p + $0) }, one: { p[$0] })
    }

    /// Σ of n terms, where `eight(j)` gives terms j ..< j + 8 and `one(j)` term j, in the order of
    /// ``runSum(_:_:)``: four eight-wide accumulators over blocks of 32, one over the blocks of 8
    /// left, their lanes summed, then the tail one by one. Each term is asked for once, in order, so
    /// a caller can compute it (and write something beside it) on the way.
    @inline(__always)
    static func runSum<T: TensorScalar>(_ n: Int, eight: (Int) -> SIMD8<T>, one: (Int) -> T) -> T {
        var (a0, a1, a2, a3) = (SIMD8<T>(), SIMD8<T>(), SIMD8<T>(), SIMD8<T>())
        var j = 0
        while j &+ 32 <= n {
            a0 += eight(j); a1 += eight(j &+ 8); a2 += eight(j &+ 16); a3 += eight(j &+ 24)
            j &+= 32
        }
        while j &+ 8 <= n { a0 += eight(j); j &+= 8 }
        var acc = ((a0 + a1) + (a2 + a3)).sum()
        while j < n { acc += one(j); j &+= 1 }
        return acc
    }

    /// `base` (zeros when nil) of `count` elements with every block's values added from its offset
    /// on, in one pass: base + (0 + Σ blocks), the same values as adding the blocks to zeros and
    /// then the result to `base`.
    static func addBlocks<S: TensorScalar>(_ blocks: [(offset: Int, values: [S])], count: Int, onto base: [S]? = nil) -> [S] {
        concrete(S.self,
                 float: { cast(addBlocksImpl(blocks.map { ($0.offset, cast($0.values, to: Float.self)) }, count, base.map { cast($0, to: Float.self) }), to: S.self) },
                 double: { cast(addBlocksImpl(blocks.map { ($0.offset, cast($0.values, to: Double.self)) }, count, base.map { cast($0, to: Double.self) }), to: S.self) },
                 generic: { addBlocksImpl(blocks, count, base) })
    }

    /// Blocks that do not overlap (a model's parameter blocks, each read once) are written as
    /// b + (0 + v) (or 0 + v without a base), in offset order, and only the cells between them
    /// copied from the base or zeroed: the same values as adding each block to zeros (0 + v, not
    /// v, keeps a −0 gradient +0 as before) and then the base. Overlapping blocks are added to
    /// zeros one after another, in the order given, and the base after them.
    private static func addBlocksImpl<T: TensorScalar>(_ blocks: [(offset: Int, values: [T])], _ count: Int, _ base: [T]?) -> [T] {
        let sorted = blocks.sorted { $0.offset < $1.offset }
        let disjoint = zip(sorted, sorted.dropFirst()).allSatisfy { $0.offset + $0.values.count <= $1.offset }
        return filled(count) { o in
            guard let ob = o.baseAddress else { return }
            (base ?? []).withUnsafeBufferPointer { buffer in
                // an empty array's buffer may still have an address
                let b = base == nil ? UnsafeBufferPointer<T>(start: nil, count: 0) : buffer
                guard disjoint else {
                    o.update(repeating: 0)
                    for block in blocks {
                        block.values.withUnsafeBufferPointer { v in
                            let start = ob + block.offset
                            for k in 0..<v.count { start[k] += v[k] }
                        }
                    }
                    if let bb = b.baseAddress { for k in 0..<count { ob[k] = bb[k] + ob[k] } }
                    return
                }
                fillOutside(sorted.map { $0.offset..<($0.offset + $0.values.count) }, from: b.baseAddress, of: o)
                for block in sorted {
                    block.values.withUnsafeBufferPointer { v in
                        let start = ob + block.offset
                        if let bb = b.baseAddress.map({ $0 + block.offset }) {
                            for k in 0..<v.count { start[k] = bb[k] + (0 + v[k]) }
                        } else {
                            for k in 0..<v.count { start[k] = 0 + v[k] }
                        }
                    }
                }
            }
        }
    }

    /// Fills the cells of `out` outside `ranges`, which are in increasing order and disjoint, with
    /// b + 0 from `base` (zeros when nil; + 0 turns a −0 into +0, as adding zeros would): what no
    /// block writes, when blocks are written into an array that was not filled first.
    private static func fillOutside<T: TensorScalar>(_ ranges: [Range<Int>], from base: UnsafePointer<T>?, of out: UnsafeMutableBufferPointer<T>) {
        guard let start = out.baseAddress else { return }
        func fill(_ cells: Range<Int>) {
            if let base { for k in cells { start[k] = base[k] + 0 } } else {
                (start + cells.lowerBound).update(repeating: 0, count: cells.count)
            }
        }
        var covered = 0
        for range in ranges {
            fill(covered..<range.lowerBound)
            covered = range.upperBound
        }
        fill(covered..<out.count)
    }

    /// Copies `count` elements from `x` at `from[k]` to `out` at `to[k]` for every block k, into
    /// `outCount` zeros (slicing and padding are both this).
    static func copyBlocks<S: TensorScalar>(_ x: [S], from: [Int], to: [Int], count: Int, into outCount: Int) -> [S] {
        concrete(S.self,
                 float: { cast(copyBlocksImpl(cast(x, to: Float.self), from, to, count, outCount), to: S.self) },
                 double: { cast(copyBlocksImpl(cast(x, to: Double.self), from, to, count, outCount), to: S.self) },
                 generic: { copyBlocksImpl(x, from, to, count, outCount) })
    }

    /// Only the cells no block covers are zeroed when the blocks are in increasing order and
    /// disjoint, as a slice's and a padding's are: none for a slice.
    private static func copyBlocksImpl<T: TensorScalar>(_ x: [T], _ from: [Int], _ to: [Int], _ count: Int, _ outCount: Int) -> [T] {
        let ordered = zip(to, to.dropFirst()).allSatisfy { $0 + count <= $1 }
        return filled(outCount) { o in
            guard let ob = o.baseAddress else { return }
            if ordered { fillOutside(to.map { $0..<($0 + count) }, from: nil, of: o) } else { o.update(repeating: 0) }
            x.withUnsafeBufferPointer { xp in
                for (f, t) in zip(from, to) where count > 0 { (ob + t).update(from: xp.baseAddress! + f, count: count) }
            }
        }
    }

    /// out[i] = x[offset(i)] over `shape` with read strides `strides` (broadcast copies, permutations).
    static func stridedCopy<S: TensorScalar>(_ x: [S], _ shape: [Int], _ strides: [Int]) -> [S] {
        concrete(S.self,
                 float: { cast(stridedCopyImpl(cast(x, to: Float.self), shape, strides), to: S.self) },
                 double: { cast(stridedCopyImpl(cast(x, to: Double.self), shape, strides), to: S.self) },
                 generic: { stridedCopyImpl(x, shape, strides) })
    }

    /// Run by run: a run that reads one value (a broadcast, such as a bias gradient's backward
    /// over the positions) is a fill, a contiguous one a block copy.
    private static func stridedCopyImpl<T: TensorScalar>(_ x: [T], _ shape: [Int], _ strides: [Int]) -> [T] {
        let runs = StridedRuns(shape, strides, strides), step = runs.runStrides.a
        return filled(shape.reduce(1, *)) { o in x.withUnsafeBufferPointer { xp in
            guard let ob = o.baseAddress, let xb = xp.baseAddress else { return }
            runs.forEach { out, a, _, n in
                switch step {
                case 0: (ob + out).update(repeating: xb[a], count: n)
                case 1: (ob + out).update(from: xb + a, count: n)
                default: for j in 0..<n { ob[out &+ j] = xb[a &+ j &* step] }
                }
            }
        } }
    }

    /// out[i] = x[indices[i]].
    static func gather<S: TensorScalar>(_ x: [S], _ indices: [Int]) -> [S] {
        concrete(S.self,
                 float: { cast(cast(x, to: Float.self).gatheredImpl(indices), to: S.self) },
                 double: { cast(cast(x, to: Double.self).gatheredImpl(indices), to: S.self) },
                 generic: { x.gatheredImpl(indices) })
    }

    /// Rows `indices` of axis 1 of `x` viewed as [outer, axisSize, inner], each row a block of
    /// `inner` contiguous elements, copied whole.
    static func gatherRows<S: TensorScalar>(_ x: [S], outer: Int, axisSize: Int, indices: [Int], inner: Int) -> [S] {
        concrete(S.self,
                 float: { cast(cast(x, to: Float.self).gatheredRowsImpl(outer, axisSize, indices, inner), to: S.self) },
                 double: { cast(cast(x, to: Double.self).gatheredRowsImpl(outer, axisSize, indices, inner), to: S.self) },
                 generic: { x.gatheredRowsImpl(outer, axisSize, indices, inner) })
    }

    /// out[indices[i]] += x[i] into `count` zeros.
    static func scatterAdd<S: TensorScalar>(_ x: [S], _ indices: [Int], count: Int) -> [S] {
        concrete(S.self,
                 float: { cast(cast(x, to: Float.self).scatteredImpl(indices, count), to: S.self) },
                 double: { cast(cast(x, to: Double.self).scatteredImpl(indices, count), to: S.self) },
                 generic: { x.scatteredImpl(indices, count) })
    }
}

/// Binary elementwise operations.
enum BinaryOp { case add, subtract, multiply, divide }

/// A binary operation as a type, for loops compiled with it inline (``Kernels``' broadcast runs).
protocol ElementCombination { static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T }
/// a + b.
enum Sum: ElementCombination { @inline(__always) static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T { a + b } }
/// a − b.
enum Difference: ElementCombination { @inline(__always) static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T { a - b } }
/// a · b.
enum Product: ElementCombination { @inline(__always) static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T { a * b } }
/// a / b.
enum Quotient: ElementCombination { @inline(__always) static func apply<T: TensorScalar>(_ a: T, _ b: T) -> T { a / b } }

/// Unary elementwise operations (constants as Double, exact for both precisions' values here).
enum UnaryOp {
    case negate, scale(Double), shift(Double), exp, log, tanh, sqrt, square, sigmoid, softplus, relu, positiveMask, sin, cos
}

extension Array where Element: TensorScalar {
    func gatheredImpl(_ indices: [Int]) -> [Element] {
        Kernels.filled(indices.count) { o in withUnsafeBufferPointer { x in
            for (i, k) in indices.enumerated() { o[i] = x[k] }
        } }
    }

    func gatheredRowsImpl(_ outer: Int, _ axisSize: Int, _ indices: [Int], _ inner: Int) -> [Element] {
        guard outer * indices.count * inner > 0 else { return [] }
        return Kernels.filled(outer * indices.count * inner) { o in withUnsafeBufferPointer { x in
            var target = o.baseAddress!
            for block in 0..<outer {
                for i in indices {
                    let source = x.baseAddress! + (block * axisSize + i) * inner
                    if inner == 1 { target.initialize(to: source.pointee) } else { target.initialize(from: source, count: inner) }
                    target += inner
                }
            }
        } }
    }

    func scatteredImpl(_ indices: [Int], _ count: Int) -> [Element] {
        var out = [Element](repeating: 0, count: count)
        withUnsafeBufferPointer { x in out.withUnsafeMutableBufferPointer { o in
            for (i, k) in indices.enumerated() { o[k] += x[i] }
        } }
        return out
    }
}

extension Kernels {
    /// The index of the first element of `x` that is NaN or ±∞, or nil.
    static func firstNonFinite<S: TensorScalar>(_ x: [S]) -> Int? {
        concrete(S.self,
                 float: { firstNonFiniteImpl(cast(x, to: Float.self)) },
                 double: { firstNonFiniteImpl(cast(x, to: Double.self)) },
                 generic: { firstNonFiniteImpl(x) })
    }

    private static func firstNonFiniteImpl<T: TensorScalar>(_ x: [T]) -> Int? {
        x.withUnsafeBufferPointer { b in
            for i in b.indices where !b[i].isFinite { return i }
            return nil
        }
    }
}
