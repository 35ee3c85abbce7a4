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

    /// A pattern from sorted bit positions and the mask of those forced to 1.
    init(positions: [Int], setMask: Int) {
        self.positions = positions
        self.setMask = setMask
    }

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

/// The contiguous runs of base amplitudes of `pattern` inside `layout`, as (flat start, length);
/// a flat index is `amplitude · B + column`. Kernels loop `while let r = runs.next()`, which
/// the compiler inlines (a closure holding SIMD accumulators would not be).
///
/// Three shapes: whole columns with at least one group per part (runs of `2^P[0]·B` doubles),
/// whole columns with fewer groups than parts (each run split across parts), and a column range
/// (one run of the range's width per amplitude).
struct RunIterator {
    private let pattern: BitPattern
    private let batch: Int
    private let groupSize: Int
    private let low: Int
    private var t: Int
    private let tEnd: Int
    private var amplitude = 0
    private var amplitudeEnd = 0
    private let offset: Int
    private let width: Int
    private let mergesAmplitudes: Bool

    init(_ layout: RunLayout, _ pattern: BitPattern) {
        self.pattern = pattern
        batch = layout.batch
        low = pattern.positions.first ?? 0
        groupSize = 1 << low
        let groups = layout.dimension >> (pattern.positions.count + low)
        if layout.coversAllColumns && groups < layout.parts {
            let length = groupSize * layout.batch
            let from = length * layout.part / layout.parts, to = length * (layout.part + 1) / layout.parts
            (t, tEnd, offset, width, mergesAmplitudes) = (0, to > from ? groups : 0, from, to - from, true)
        } else {
            let lo = groups * layout.part / layout.parts, hi = groups * (layout.part + 1) / layout.parts
            if layout.coversAllColumns {
                (t, tEnd, offset, width, mergesAmplitudes) = (lo, hi, 0, groupSize * layout.batch, true)
            } else {
                (t, tEnd, offset, width, mergesAmplitudes) = (lo, hi, layout.columns.lowerBound, layout.columns.count, false)
            }
        }
    }

    @inline(__always) mutating func next() -> (start: Int, count: Int)? {
        if mergesAmplitudes {
            guard t < tEnd else { return nil }
            let base = pattern.insertZeros(t << low) | pattern.setMask
            t += 1
            return (base * batch + offset, width)
        }
        if amplitude == amplitudeEnd {
            guard t < tEnd else { return nil }
            amplitude = pattern.insertZeros(t << low) | pattern.setMask
            amplitudeEnd = amplitude + groupSize
            t += 1
        }
        let a = amplitude
        amplitude += 1
        return (a * batch + offset, width)
    }
}

/// Like ``RunIterator`` but never merges amplitudes: `body(flatStart, firstColumn, width)`
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
