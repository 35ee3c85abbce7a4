/// Which part of a ``StateBatch`` a kernel call covers: a column (batch item) range and one part of
/// the gate's outer loop. Threads split either the columns (batched runs) or the parts (large
/// single states); a kernel never needs to know which.
struct RunLayout {
    /// 2^n.
    let dimension: Int
    /// Total batch size B (the flat stride of one amplitude).
    let batch: Int
    /// The columns (batch items) this call covers.
    let columns: Range<Int>
    /// This call's part of the outer loop, `part` of `parts`.
    let part: Int
    let parts: Int

    var coversAllColumns: Bool { columns.count == batch }

    /// This layout restricted to part `p` of `count`.
    func part(_ p: Int, of count: Int) -> RunLayout {
        RunLayout(dimension: dimension, batch: batch, columns: columns, part: p, parts: count)
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

    /// The pattern for wires (converted to bit positions n−1−w) with `controlWires` forced to 1.
    init(qubits: Int, targets: [Int], controls: [Int]) {
        let all = (targets + controls).map { qubits - 1 - $0 }
        positions = all.sorted()
        setMask = controls.reduce(0) { $0 | (1 << (qubits - 1 - $1)) }
    }

    /// Inserts a zero bit at every position, in ascending order.
    @inline(__always) func insertZeros(_ r: Int) -> Int {
        var v = r
        for p in positions { v = ((v >> p) << (p + 1)) | (v & ((1 << p) - 1)) }
        return v
    }
}

/// Calls `body(flatStart, length)` for every contiguous run of base amplitudes of `pattern`
/// inside `layout`. A flat index is `amplitude · B + column`.
@inline(__always)
func forEachRun(_ layout: RunLayout, _ pattern: BitPattern, _ body: (Int, Int) -> Void) {
    let low = pattern.positions.first ?? 0
    let groupSize = 1 << low
    let groups = layout.dimension >> (pattern.positions.count + low)
    let lo = groups * layout.part / layout.parts, hi = groups * (layout.part + 1) / layout.parts
    let b = layout.batch
    if layout.coversAllColumns && groups < layout.parts {
        // Fewer groups than threads (a high target wire): split every run instead.
        let length = groupSize * b
        let from = length * layout.part / layout.parts, to = length * (layout.part + 1) / layout.parts
        for t in 0..<groups where to > from {
            let base = pattern.insertZeros(t << low) | pattern.setMask
            body(base * b + from, to - from)
        }
    } else if layout.coversAllColumns {
        for t in lo..<hi {
            let base = pattern.insertZeros(t << low) | pattern.setMask
            body(base * b, groupSize * b)
        }
    } else {
        let c0 = layout.columns.lowerBound, width = layout.columns.count
        for t in lo..<hi {
            let base = pattern.insertZeros(t << low) | pattern.setMask
            for a in base..<(base + groupSize) { body(a * b + c0, width) }
        }
    }
}

/// Like ``forEachRun(_:_:_:)`` but never merges amplitudes: `body(flatStart, firstColumn, width)`
/// covers one amplitude's columns, for kernels whose coefficients differ per column.
@inline(__always)
func forEachColumnRun(_ layout: RunLayout, _ pattern: BitPattern, _ body: (Int, Int, Int) -> Void) {
    let low = pattern.positions.first ?? 0
    let groupSize = 1 << low
    let groups = layout.dimension >> (pattern.positions.count + low)
    let lo = groups * layout.part / layout.parts, hi = groups * (layout.part + 1) / layout.parts
    let c0 = layout.columns.lowerBound, width = layout.columns.count
    for t in lo..<hi {
        let base = pattern.insertZeros(t << low) | pattern.setMask
        for a in base..<(base + groupSize) { body(a * layout.batch + c0, c0, width) }
    }
}
