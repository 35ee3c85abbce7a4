/// Which part of a batch of states a kernel call covers: part `part` of `parts` of the gate's
/// outer loop, over all `batch` columns. Threads split the parts for a large single state;
/// batches are split into column chunks with their own buffers before they reach a kernel.
struct RunLayout {
    /// 2^n.
    let dimension: Int
    /// Batch size B (the flat stride of one amplitude).
    let batch: Int
    /// This call's part of the outer loop, `part` of `parts`.
    let part: Int
    let parts: Int

    /// This layout restricted to part `p` of `count`.
    func part(_ p: Int, of count: Int) -> RunLayout {
        RunLayout(dimension: dimension, batch: batch, part: p, parts: count)
    }
}

/// Sorted bit positions plus a mask of bits forced to 1: the set of base amplitudes a gate visits.
///
/// For targets and controls at bit positions P (sorted), the base amplitudes are the indices with
/// zeros at every position in P, with the control bits then set to 1. Consecutive bases below the
/// lowest position in P are contiguous, which gives runs of `2^P[0] · B` contiguous doubles.
struct BitPattern {
    let positions: [Int]
    let setMask: Int

    /// A pattern from sorted bit positions and the mask of those forced to 1.
    init(positions: [Int], setMask: Int) {
        self.positions = positions
        self.setMask = setMask
    }

    /// The pattern for wires (converted to bit positions n−1−w) with `controls` forced to 1.
    init(qubits: Int, targets: [Int], controls: [Int]) {
        positions = (targets + controls).map { qubits - 1 - $0 }.sorted()
        setMask = controls.reduce(0) { $0 | (1 << (qubits - 1 - $1)) }
    }

    /// Inserts a zero bit at every position, in ascending order.
    @inline(__always) func insertZeros(_ r: Int) -> Int {
        var v = r
        for p in positions { v = ((v >> p) << (p + 1)) | (v & ((1 << p) - 1)) }
        return v
    }
}

/// The contiguous runs of base amplitudes of `pattern` inside `layout`, as (flat start, length);
/// a flat index is `amplitude · B + column`, and every run starts at a multiple of B and covers
/// whole amplitudes, so column c of a run is at `start + a·B + c`. Kernels loop
/// `while let r = runs.next()`, which the compiler inlines (a closure holding SIMD accumulators
/// would not be).
///
/// Usually each part takes whole groups (runs of `2^P[0]·B` doubles); when there are fewer groups
/// than parts (a gate on a high wire of one large state), every run is split across the parts.
struct RunIterator {
    private let pattern: BitPattern
    private let low: Int
    private let batch: Int
    private var t: Int
    private let tEnd: Int
    private let offset: Int
    private let length: Int

    init(_ layout: RunLayout, _ pattern: BitPattern) {
        self.pattern = pattern
        batch = layout.batch
        low = pattern.positions.first ?? 0
        let amplitudesPerGroup = 1 << low
        let groups = layout.dimension >> (pattern.positions.count + low)
        if groups < layout.parts {
            let from = amplitudesPerGroup * layout.part / layout.parts
            let to = amplitudesPerGroup * (layout.part + 1) / layout.parts
            (t, tEnd, offset, length) = (0, to > from ? groups : 0, from * batch, (to - from) * batch)
        } else {
            let lo = groups * layout.part / layout.parts, hi = groups * (layout.part + 1) / layout.parts
            (t, tEnd, offset, length) = (lo, hi, 0, amplitudesPerGroup * batch)
        }
    }

    @inline(__always) mutating func next() -> (start: Int, count: Int)? {
        guard t < tEnd else { return nil }
        let base = pattern.insertZeros(t << low) | pattern.setMask
        t += 1
        return (base * batch + offset, length)
    }
}
