/// Kernels for single states (B = 1) whose gate touches one of the three lowest amplitude bits
/// (wires n−1, n−2, n−3). There, the generic runs are 1, 2 or 4 amplitudes long and all loop
/// overhead; instead the state is walked in blocks of 8 amplitudes held in SIMD8 registers, and
/// every lane gets
///
///     new = c_self ⊙ self + c_other ⊙ other
///
/// with complex per-lane coefficients. For a low target, `other` is the block with lanes swapped
/// across the target bit; for a high target with low controls, `other` is the partner block. Lanes
/// whose low controls are not all 1 get c_self = 1, c_other = 0. Dense, diagonal and X/CNOT gates
/// all take this one path.
struct LowWireOp {
    typealias V = SIMD8<Double>

    /// Lane coefficients: for a high target, `first` acts on the block with target 0 and `second`
    /// on its partner; for a low target only `first` is used.
    struct Coefficients {
        var selfR = V(repeating: 1), selfI = V(), otherR = V(), otherI = V()
    }

    let first: Coefficients
    let second: Coefficients
    /// Target bit when it is one of the three low bits (1, 2 or 4), else 0.
    let laneBit: Int
    /// The blocks to visit, in block-index bits (amplitude bits shifted down by 3).
    let blocks: BitPattern
    /// Partner block distance for a high target.
    let partnerBlocks: Int

    /// States from this many qubits on use the block kernels; below it, building the lane tables
    /// costs more than the short runs they save.
    static let minimumQubits = 10

    /// Builds the lane tables of a one-target op from its bit positions; nil when no position is
    /// below 3 (the generic kernels are already efficient) or the state is small.
    init?(qubits n: Int, target: Int, controls: [Int], matrix m: Matrix2) {
        let t = n - 1 - target
        let ctrl = controls.map { n - 1 - $0 }
        guard n >= LowWireOp.minimumQubits, t < 3 || ctrl.contains(where: { $0 < 3 }) else { return nil }
        let lowCtrl = ctrl.filter { $0 < 3 }.reduce(0) { $0 | (1 << $1) }
        let highCtrl = ctrl.filter { $0 >= 3 }.map { $0 - 3 }.sorted()
        func lanes(targetBitSet: (Int) -> Bool) -> Coefficients {
            var c = Coefficients()
            for l in 0..<8 where l & lowCtrl == lowCtrl {
                let one = targetBitSet(l)
                let (s, o) = one ? (m.e11, m.e10) : (m.e00, m.e01)
                (c.selfR[l], c.selfI[l], c.otherR[l], c.otherI[l]) = (s.re, s.im, o.re, o.im)
            }
            return c
        }
        if t < 3 {
            laneBit = 1 << t
            first = lanes { $0 & (1 << t) != 0 }
            second = first
            blocks = BitPattern(positions: highCtrl, setMask: highCtrl.reduce(0) { $0 | (1 << $1) })
            partnerBlocks = 0
        } else {
            laneBit = 0
            first = lanes { _ in false }
            second = lanes { _ in true }
            blocks = BitPattern(positions: (highCtrl + [t - 3]).sorted(), setMask: highCtrl.reduce(0) { $0 | (1 << $1) })
            partnerBlocks = 1 << (t - 3)
        }
    }

    /// The block with lanes swapped across `laneBit`.
    @inline(__always) func swapLanes(_ v: V) -> V {
        var w = v
        switch laneBit {
        case 1: w.evenHalf = v.oddHalf; w.oddHalf = v.evenHalf
        case 2:
            w.lowHalf = SIMD4(lowHalf: v.lowHalf.highHalf, highHalf: v.lowHalf.lowHalf)
            w.highHalf = SIMD4(lowHalf: v.highHalf.highHalf, highHalf: v.highHalf.lowHalf)
        default: w.lowHalf = v.highHalf; w.highHalf = v.lowHalf
        }
        return w
    }

    /// Applies the op to part `layout.part` of `layout.parts` of a single state.
    func apply(_ s: StatePointers, _ layout: RunLayout) {
        let blockLayout = RunLayout(dimension: layout.dimension >> 3, batch: 1, part: layout.part, parts: layout.parts)
        var runs = RunIterator(blockLayout, blocks)
        while let (start, count) = runs.next() {
            for k in start..<(start + count) {
                let p0r = s.re + 8 * k, p0i = s.im + 8 * k
                let ar = load8(p0r), ai = load8(p0i)
                if laneBit != 0 {
                    let br = swapLanes(ar), bi = swapLanes(ai)
                    store8(combine(first, ar, ai, br, bi, real: true), p0r)
                    store8(combine(first, ar, ai, br, bi, real: false), p0i)
                } else {
                    let p1r = p0r + 8 * partnerBlocks, p1i = p0i + 8 * partnerBlocks
                    let br = load8(p1r), bi = load8(p1i)
                    store8(combine(first, ar, ai, br, bi, real: true), p0r)
                    store8(combine(first, ar, ai, br, bi, real: false), p0i)
                    store8(combine(second, br, bi, ar, ai, real: true), p1r)
                    store8(combine(second, br, bi, ar, ai, real: false), p1i)
                }
            }
        }
    }

    /// Real or imaginary part of c_self·self + c_other·other.
    @inline(__always) private func combine(_ c: Coefficients, _ sr: V, _ si: V, _ or: V, _ oi: V, real: Bool) -> V {
        real ? c.selfR * sr - c.selfI * si + c.otherR * or - c.otherI * oi
             : c.selfR * si + c.selfI * sr + c.otherR * oi + c.otherI * or
    }
}

@inline(__always) func load8(_ p: UnsafeMutablePointer<Double>) -> SIMD8<Double> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Double>.self)
}

@inline(__always) func store8(_ v: SIMD8<Double>, _ p: UnsafeMutablePointer<Double>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Double>.self)
}
