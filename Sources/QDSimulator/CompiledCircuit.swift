/// A circuit lowered to kernel calls for one batch size and one set of parameter values.
///
/// Consecutive uncontrolled one-wire gates on a wire are fused into one 2×2 matrix
/// M = G_m⋯G_1 (gates on other wires commute past them). The fused op keeps, for every
/// parameter θ of factor G_j, the derivative ∂M/∂θ = G_m⋯(∂G_j/∂θ)⋯G_1, so the adjoint sweep
/// differentiates a fused op exactly like a single gate.
struct CompiledOp {
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
    let sharedDerivatives: [(slot: Int, matrix: ComplexMatrix)]
    /// ∂M_c/∂θ per column c, for per-column ops (`parameter` is `.trainable` or `.input`).
    let columnDerivatives: [(parameter: Parameter, matrices: [ComplexMatrix])]

    var hasDerivatives: Bool { !sharedDerivatives.isEmpty || !columnDerivatives.isEmpty }
}

/// One factor of a pending fused one-wire block.
private struct Factor {
    let matrix: ComplexMatrix
    let derivatives: [(slot: Int, matrix: ComplexMatrix)]
}

/// Lowers `circuit` for `batch` columns, trainable values θ and per-column inputs x (B × F, row-major).
func compile(_ circuit: Circuit, batch: Int, trainable: [Double], inputs: [Double], features: Int) -> [CompiledOp] {
    let n = circuit.qubits
    var out: [CompiledOp] = []
    var pending: [[Factor]] = Array(repeating: [], count: n)

    func value(_ p: Parameter, column: Int) -> Double {
        switch p {
        case .constant(let v): return v
        case .trainable(let k): return trainable[k]
        case .input(let k): return inputs[column * features + k]
        }
    }

    func partnerOffset(_ wire: Int) -> Int { (1 << (n - 1 - wire)) * batch }

    func flush(_ w: Int) {
        let factors = pending[w]
        guard !factors.isEmpty else { return }
        pending[w] = []
        // prefix[j] = G_{j-1}⋯G_0, suffix[j] = G_m⋯G_{j+1}
        var prefix = [ComplexMatrix.identity(2)]
        for f in factors { prefix.append(f.matrix * prefix.last!) }
        var suffix = [ComplexMatrix](repeating: .identity(2), count: factors.count)
        for j in stride(from: factors.count - 2, through: 0, by: -1) { suffix[j] = suffix[j + 1] * factors[j + 1].matrix }
        let m = prefix.last!
        var derivs: [(slot: Int, matrix: ComplexMatrix)] = []
        for (j, f) in factors.enumerated() {
            for d in f.derivatives { derivs.append((d.slot, suffix[j] * d.matrix * prefix[j])) }
        }
        let pattern = BitPattern(qubits: n, targets: [w], controls: [])
        let kind: CompiledOp.Kind = m.isDiagonal && derivs.isEmpty
            ? .diagonal1(Matrix2(m), inverse: Matrix2(m.adjoint))
            : .dense1(Matrix2(m), inverse: Matrix2(m.adjoint))
        out.append(CompiledOp(kind: kind, pattern: pattern, partner: partnerOffset(w), sharedDerivatives: derivs, columnDerivatives: []))
    }

    for op in circuit.operations {
        let perColumn = op.parameters.contains { if case .input = $0 { return true } else { return false } }
        if op.wires.count == 1, op.controls.isEmpty, !perColumn {
            let values = op.parameters.map { value($0, column: 0) }
            let derivs = op.derivatives(values)
            var shared: [(slot: Int, matrix: ComplexMatrix)] = []
            for (k, p) in op.parameters.enumerated() { if case .trainable(let s) = p { shared.append((s, derivs[k])) } }
            pending[op.wires[0]].append(Factor(matrix: op.matrix(values), derivatives: shared))
            continue
        }
        for w in op.allWires { flush(w) }
        let pattern = BitPattern(qubits: n, targets: op.wires, controls: op.controls)
        if perColumn {
            var fwd = ColumnMatrices2(columns: batch), inv = ColumnMatrices2(columns: batch)
            var colDerivs: [(parameter: Parameter, matrices: [ComplexMatrix])] = op.parameters.compactMap {
                if case .constant = $0 { return nil } else { return ($0, []) }
            }
            for c in 0..<batch {
                let values = op.parameters.map { value($0, column: c) }
                let m = op.matrix(values)
                fwd.set(c, m); inv.set(c, m.adjoint)
                let derivs = op.derivatives(values)
                var slot = 0
                for (k, p) in op.parameters.enumerated() {
                    if case .constant = p { continue }
                    colDerivs[slot].matrices.append(derivs[k]); slot += 1
                }
            }
            out.append(CompiledOp(kind: .perColumn1(fwd, inverse: inv), pattern: pattern, partner: partnerOffset(op.wires[0]),
                                  sharedDerivatives: [], columnDerivatives: colDerivs))
            continue
        }
        let values = op.parameters.map { value($0, column: 0) }
        let m = op.matrix(values)
        let derivs = op.derivatives(values)
        var shared: [(slot: Int, matrix: ComplexMatrix)] = []
        for (k, p) in op.parameters.enumerated() { if case .trainable(let s) = p { shared.append((s, derivs[k])) } }
        let kind: CompiledOp.Kind
        if op.wires.count == 1 {
            if op.gate == .pauliX {
                kind = .swapPartners
            } else if m.isDiagonal && shared.isEmpty {
                kind = .diagonal1(Matrix2(m), inverse: Matrix2(m.adjoint))
            } else {
                kind = .dense1(Matrix2(m), inverse: Matrix2(m.adjoint))
            }
        } else {
            kind = .denseK(m, inverse: m.adjoint, offsets: blockOffsets(qubits: n, wires: op.wires, batch: batch))
        }
        let partner = op.wires.count == 1 ? partnerOffset(op.wires[0]) : 0
        out.append(CompiledOp(kind: kind, pattern: pattern, partner: partner, sharedDerivatives: shared, columnDerivatives: []))
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
