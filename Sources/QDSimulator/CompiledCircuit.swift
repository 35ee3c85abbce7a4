/// A circuit lowered to kernel calls for one batch size and one set of parameter values.
///
/// Consecutive uncontrolled one-wire gates on a wire are fused into one 2×2 matrix
/// M = G_m⋯G_1 (gates on other wires commute past them). The fused op keeps, for every
/// parameter θ of factor G_j, the derivative ∂M/∂θ = G_m⋯(∂G_j/∂θ)⋯G_1, so the adjoint sweep
/// differentiates a fused op exactly like a single gate. A class, so walking the op list copies
/// a reference rather than the kernel tables.
final class CompiledOp {
    enum Kind {
        case dense1(Matrix2, inverse: Matrix2)
        case diagonal1(Matrix2, inverse: Matrix2)
        case swapPartners
        case denseK(ComplexMatrix, inverse: ComplexMatrix, offsets: [Int])
        case perColumn1(ColumnMatrices2, inverse: ColumnMatrices2)
    }

    let kind: Kind
    let pattern: BitPattern
    /// Flat offset from an amplitude to its partner (one-target ops).
    let partner: Int
    /// ∂M/∂θ for trainable slots, shared by all columns.
    let sharedDerivatives: [(slot: Int, matrix: Matrix2)]
    /// ∂M_c/∂θ per column c, for per-column ops (`parameter` is `.trainable` or `.input`).
    let columnDerivatives: [(parameter: Parameter, matrices: [Matrix2])]
    /// For a single state whose op touches a low bit: the block kernels for M and M†.
    let lowWire: (forward: LowWireOp, inverse: LowWireOp)?

    init(kind: Kind, pattern: BitPattern, partner: Int, sharedDerivatives: [(slot: Int, matrix: Matrix2)],
         columnDerivatives: [(parameter: Parameter, matrices: [Matrix2])], lowWire: (forward: LowWireOp, inverse: LowWireOp)? = nil) {
        self.kind = kind
        self.pattern = pattern
        self.partner = partner
        self.sharedDerivatives = sharedDerivatives
        self.columnDerivatives = columnDerivatives
        self.lowWire = lowWire
    }

    var hasDerivatives: Bool { !sharedDerivatives.isEmpty || !columnDerivatives.isEmpty }
}

/// One gate of a pending fused one-wire block: its matrix and, when trainable, its derivatives.
private struct Factor {
    let matrix: Matrix2
    let derivatives: [(slot: Int, matrix: Matrix2)]
}

/// Lowers `circuit` for `batch` columns, trainable values θ and per-column inputs x (B × F, row-major).
func compile(_ circuit: Circuit, batch: Int, trainable: [Double], inputs: [Double], features: Int) -> [CompiledOp] {
    let n = circuit.qubits
    var out: [CompiledOp] = []
    out.reserveCapacity(circuit.operations.count)
    var pending: [[Factor]] = Array(repeating: [], count: n)

    func angles(_ op: QuantumOperation, column: Int) -> GateAngles {
        var a = GateAngles(0)
        for (k, p) in op.parameters.enumerated() {
            let v: Double
            switch p {
            case .constant(let x): v = x
            case .trainable(let s): v = trainable[s]
            case .input(let f): v = inputs[column * features + f]
            }
            switch k { case 0: a.values.0 = v; case 1: a.values.1 = v; default: a.values.2 = v }
        }
        return a
    }

    func sharedDerivatives(_ op: QuantumOperation, _ a: GateAngles) -> [(slot: Int, matrix: Matrix2)] {
        var d: [(slot: Int, matrix: Matrix2)] = []
        for (k, p) in op.parameters.enumerated() { if case .trainable(let s) = p { d.append((s, op.oneWireDerivative(k, a))) } }
        return d
    }

    func partnerOffset(_ wire: Int) -> Int { (1 << (n - 1 - wire)) * batch }

    func flush(_ w: Int) {
        let factors = pending[w]
        guard !factors.isEmpty else { return }
        pending[w] = []
        var m = Matrix2.identity             // G_{j-1}⋯G_0 while walking j upwards
        var derivs: [(slot: Int, matrix: Matrix2)] = []
        for (j, f) in factors.enumerated() {
            if !f.derivatives.isEmpty {
                var after = Matrix2.identity   // G_m⋯G_{j+1}
                for g in factors[(j + 1)...] { after = g.matrix * after }
                for d in f.derivatives { derivs.append((d.slot, after * d.matrix * m)) }
            }
            m = f.matrix * m
        }
        let kind: CompiledOp.Kind = m.isDiagonal && derivs.isEmpty
            ? .diagonal1(m, inverse: m.adjoint) : .dense1(m, inverse: m.adjoint)
        out.append(CompiledOp(kind: kind, pattern: BitPattern(qubits: n, targets: [w], controls: []),
                              partner: partnerOffset(w), sharedDerivatives: derivs, columnDerivatives: [],
                              lowWire: lowWire(target: w, controls: [], m)))
    }

    func lowWire(target: Int, controls: [Int], _ m: Matrix2) -> (forward: LowWireOp, inverse: LowWireOp)? {
        guard batch == 1, let f = LowWireOp(qubits: n, target: target, controls: controls, matrix: m),
              let i = LowWireOp(qubits: n, target: target, controls: controls, matrix: m.adjoint) else { return nil }
        return (f, i)
    }

    for op in circuit.operations {
        let perColumn = op.parameters.contains { if case .input = $0 { return true } else { return false } }
        if op.wires.count == 1, op.controls.isEmpty, !perColumn {
            let a = angles(op, column: 0)
            pending[op.wires[0]].append(Factor(matrix: op.oneWire(a), derivatives: sharedDerivatives(op, a)))
            continue
        }
        for w in op.allWires { flush(w) }
        let pattern = BitPattern(qubits: n, targets: op.wires, controls: op.controls)
        if perColumn {
            var fwd = ColumnMatrices2(columns: batch), inv = ColumnMatrices2(columns: batch)
            let varying = op.parameters.enumerated().filter { if case .constant = $0.element { return false } else { return true } }
            var colDerivs: [(parameter: Parameter, matrices: [Matrix2])] = varying.map { ($0.element, []) }
            for c in 0..<batch {
                let a = angles(op, column: c)
                let m = op.oneWire(a)
                fwd.set(c, m); inv.set(c, m.adjoint)
                for (slot, (k, _)) in varying.enumerated() { colDerivs[slot].matrices.append(op.oneWireDerivative(k, a)) }
            }
            out.append(CompiledOp(kind: .perColumn1(fwd, inverse: inv), pattern: pattern, partner: partnerOffset(op.wires[0]),
                                  sharedDerivatives: [], columnDerivatives: colDerivs))
            continue
        }
        let kind: CompiledOp.Kind
        var shared: [(slot: Int, matrix: Matrix2)] = []
        var low: (forward: LowWireOp, inverse: LowWireOp)?
        if op.wires.count == 1 {
            let a = angles(op, column: 0)
            let m = op.oneWire(a)
            shared = sharedDerivatives(op, a)
            low = lowWire(target: op.wires[0], controls: op.controls, m)
            if op.gate == .pauliX {
                kind = .swapPartners
            } else if m.isDiagonal && shared.isEmpty {
                kind = .diagonal1(m, inverse: m.adjoint)
            } else {
                kind = .dense1(m, inverse: m.adjoint)
            }
        } else {
            let m = op.matrix([])
            kind = .denseK(m, inverse: m.adjoint, offsets: blockOffsets(qubits: n, wires: op.wires, batch: batch))
        }
        let partner = op.wires.count == 1 ? partnerOffset(op.wires[0]) : 0
        out.append(CompiledOp(kind: kind, pattern: pattern, partner: partner, sharedDerivatives: shared, columnDerivatives: [],
                              lowWire: low))
    }
    for w in 0..<n { flush(w) }
    return out
}

/// Flat offsets of the 2^k sub-indices of `wires` (first wire most significant) from a base amplitude,
/// built by appending one less significant wire at a time (O(2^k)).
func blockOffsets(qubits n: Int, wires: [Int], batch: Int) -> [Int] {
    var offsets = [Int](repeating: 0, count: 1 << wires.count)
    var filled = 1
    for w in wires {
        let bit = (1 << (n - 1 - w)) * batch
        // existing entries x become 2x (bit clear) and 2x + 1 (bit set)
        for x in stride(from: filled - 1, through: 0, by: -1) {
            offsets[2 * x + 1] = offsets[x] + bit
            offsets[2 * x] = offsets[x]
        }
        filled *= 2
    }
    return offsets
}
