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
        // Single-control gates with a stdgates name read more naturally: cx, cz, crx, ...
        let controlledName = ["x": "cx", "y": "cy", "z": "cz", "h": "ch", "rx": "crx", "ry": "cry", "rz": "crz", "p": "cp", "swap": "cswap"]
        for op in c.circuit.operations {
            let params = op.parameters.map(value)
            let gates: [(String, [String])]
            switch op.gate {
            case .identity: gates = [("id", [])]
            case .hadamard: gates = [("h", [])]
            case .pauliX: gates = [("x", [])]
            case .pauliY: gates = [("y", [])]
            case .pauliZ: gates = [("z", [])]
            case .s: gates = [("s", [])]
            case .sAdjoint: gates = [("sdg", [])]
            case .t: gates = [("t", [])]
            case .tAdjoint: gates = [("tdg", [])]
            case .sx: gates = [("sx", [])]
            case .rx: gates = [("rx", params)]
            case .ry: gates = [("ry", params)]
            case .rz: gates = [("rz", params)]
            case .phaseShift: gates = [("p", params)]
            case .u3: gates = [("U", params)]
            case .swap: gates = [("swap", [])]
            case .rot:
                // Rot(φ, θ, ω) = RZ(ω)·RY(θ)·RZ(φ): rz(φ) comes first; the adjoint reverses the order.
                let sequence = [("rz", [params[0]]), ("ry", [params[1]]), ("rz", [params[2]])]
                gates = op.isAdjoint ? sequence.reversed() : sequence
            case .unitary: throw RuntimeError("qasm: OpenQASM 3 has no gate for an explicit unitary matrix")
            }
            let operands = (op.controls + op.wires).map { "q[\($0)]" }.joined(separator: ", ")
            for (name, ps) in gates {
                var gateName = name, modifier = op.isAdjoint ? "inv @ " : ""
                switch op.controls.count {
                case 0: break
                case 1 where controlledName[name] != nil: gateName = controlledName[name]!
                case 2 where name == "x": gateName = "ccx"
                case 1: modifier += "ctrl @ "
                default: modifier += "ctrl(\(op.controls.count)) @ "
                }
                let args = ps.isEmpty ? "" : "(" + ps.joined(separator: ", ") + ")"
                lines.append("\(modifier)\(gateName)\(args) \(operands);")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
