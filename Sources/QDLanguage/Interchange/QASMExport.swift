import QDSimulator

/// OpenQASM 3 export of a circuit value. Trainable parameters become `input float[64]` symbols
/// named `<block>_<k>` (k the flat index inside the block), as do per-sample inputs; gates map to
/// `stdgates.inc` (Rot becomes rz·ry·rz, U3 the built-in `U`), controls and adjoints to `ctrl(k) @`
/// and `inv @`. Wire w is `q[w]`, wire 0 the most significant bit as everywhere in qd.
enum QASMExport {
    static func export(_ c: CircuitValue) throws -> String {
        guard c.circuit.preparation == nil else {
            throw RuntimeError("qasm: OpenQASM 3 has no gate for \(c.circuit.preparation!.label == "|Ψ⟩" ? "amplitude" : "basis") embedding; export the circuit without it")
        }
        var trainableNames = [String](repeating: "", count: c.values.count)
        for b in c.parameters { for (j, slot) in b.slots.enumerated() { trainableNames[slot] = b.shape.isEmpty ? b.name : "\(b.name)_\(j)" } }
        var inputNames = [String](repeating: "", count: c.circuit.inputCount)
        for b in c.inputs { for (j, slot) in b.slots.enumerated() where slot < inputNames.count { inputNames[slot] = b.shape.isEmpty ? b.name : "\(b.name)_\(j)" } }
        var lines = ["OPENQASM 3.0;", "include \"stdgates.inc\";"]
        lines += trainableNames.map { "input float[64] \($0);" }
        lines += inputNames.filter { !$0.isEmpty }.map { "input float[64] \($0);" }
        lines.append("qubit[\(c.circuit.qubits)] q;")
        func value(_ p: Parameter) -> String {
            switch p {
            case .constant(let v): return "\(v)"
            case .trainable(let k): return trainableNames[k]
            case .input(let k): return inputNames[k]
            }
        }
        for op in c.circuit.operations {
            let params = op.parameters.map(value)
            let gates: [(Gate, [String])]
            switch op.gate {
            case .rot:
                // Rot(φ, θ, ω) = RZ(ω)·RY(θ)·RZ(φ): rz(φ) comes first; the adjoint reverses the order.
                let sequence: [(Gate, [String])] = [(.rz, [params[0]]), (.ry, [params[1]]), (.rz, [params[2]])]
                gates = op.isAdjoint ? sequence.reversed() : sequence
            case .unitary: throw RuntimeError("qasm: OpenQASM 3 has no gate for an explicit unitary matrix")
            default: gates = [(op.gate, params)]
            }
            let operands = (op.controls + op.wires).map { "q[\($0)]" }.joined(separator: ", ")
            for (gate, ps) in gates {
                let (name, extraControls) = try stdgatesName(gate, controls: op.controls.count)
                var modifier = op.isAdjoint ? "inv @ " : ""
                if extraControls == 1 { modifier += "ctrl @ " } else if extraControls > 1 { modifier += "ctrl(\(extraControls)) @ " }
                let args = ps.isEmpty ? "" : "(" + ps.joined(separator: ", ") + ")"
                lines.append("\(modifier)\(name)\(args) \(operands);")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The OpenQASM name of `gate` with `controls` control wires, from the language's gate table:
    /// a controlled name when the table has one (cx, crz, ccx, cswap, ...), otherwise the bare name
    /// and the controls left for a `ctrl @` modifier. U3 is written as OpenQASM's built-in `U`.
    static func stdgatesName(_ gate: Gate, controls: Int) throws -> (name: String, extraControls: Int) {
        let table = QuantumBuiltins.gateTable.filter { $0.gate == gate && !QASMImport.notInStdgates.contains($0.name) }
        if let exact = table.first(where: { $0.controls == controls && controls > 0 }) { return (exact.name, 0) }
        guard let bare = table.first(where: { $0.controls == 0 }) else {
            throw RuntimeError("qasm: OpenQASM 3 has no gate for \(gate.label)")
        }
        return (bare.name == "u3" ? "U" : bare.name, controls)
    }
}
