import QDSimulator
import QDTensor

/// Builds a circuit while a `circuit(n) { ... }` block runs: it owns the parameter and input
/// declarations, applies gate statements and absorbs sub-circuits (shifting their parameter slots;
/// parameters with the same identity are shared, so `c + c` applies c twice with one set of angles).
final class CircuitBuilder {
    let id: Int
    private(set) var circuit: Circuit
    private var parameters: [ParameterBlock] = []
    private var values: [Double] = []
    private var inputs: [ParameterBlock] = []
    private var inputEnd = 0

    init(id: Int, qubits: Int) throws {
        self.id = id
        circuit = try Circuit(qubits: qubits)
    }

    /// The circuit value built so far.
    var value: CircuitValue {
        var c = circuit
        c.reserveTrainable(values.count)
        return CircuitValue(circuit: c, parameters: parameters, values: values, inputs: inputs)
    }

    // MARK: declarations

    private func checkFresh(_ name: String) throws {
        if parameters.contains(where: { $0.name == name }) || inputs.contains(where: { $0.name == name }) {
            throw RuntimeError("'\(name)' is already declared in this circuit")
        }
    }

    func declareParameter(_ name: String, shape: [Int], initializer: Value?, interpreter: Interpreter) throws -> CircuitSymbol {
        try checkFresh(name)
        let count = shape.reduce(1, *)
        let initial = try Initializers.values(initializer, shape: shape, name: name, interpreter: interpreter)
        guard initial.count == count else { throw RuntimeError("param \(name): the initial value has \(initial.count) numbers; shape \(shape) needs \(count)") }
        interpreter.nextIdentity += 1
        let block = ParameterBlock(name: name, shape: shape, offset: values.count, identity: interpreter.nextIdentity)
        parameters.append(block)
        values += initial
        return CircuitSymbol(kind: .trainable, name: name, builder: id, shape: shape, offset: block.offset)
    }

    func declareInput(_ name: String, shape: [Int]) throws -> CircuitSymbol {
        try checkFresh(name)
        let block = ParameterBlock(name: name, shape: shape, offset: inputEnd, identity: 0)
        inputs.append(block)
        inputEnd += block.count
        return CircuitSymbol(kind: .input, name: name, builder: id, shape: shape, offset: block.offset)
    }

    // MARK: applying

    /// Appends `v` when it is something a circuit block applies (a placed operation, a circuit);
    /// returns false for other values, which the statement then displays.
    func absorb(_ v: Value, interpreter: Interpreter) throws -> Bool {
        switch v {
        case .operation(let op):
            guard let wires = op.wires else {
                if case .circuit = op.kind { try apply(op, operands: nil); return true }
                throw RuntimeError("\(op.typeName) needs wires: write it as a statement with operands (h 0) or with 'on' (amplitude(x) on 0..<6)")
            }
            try apply(op, operands: wires)
            return true
        case .circuit(let c):
            try append(c, wires: nil, controls: [], adjoint: false)
            return true
        default:
            return false
        }
    }

    /// Applies `op` to `operands` (nil: a sub-circuit on its own wires 0..<k).
    func apply(_ op: Operation, operands: [Int]?) throws {
        switch op.kind {
        case .gate(let spec, let params):
            guard params.count == spec.parameterCount else {
                throw RuntimeError("\(spec.name) takes \(spec.parameterCount) parameter(s); got \(params.count): write \(spec.name)(\(Array(repeating: "θ", count: spec.parameterCount).joined(separator: ", "))) q")
            }
            let parameters = try params.map(parameter)
            try applyGate(spec.gate, name: spec.name, builtInControls: spec.controls, op: op, operands: operands ?? [], parameters: parameters)
        case .unitary(let m):
            try applyGate(.unitary(m), name: "unitary", builtInControls: 0, op: op, operands: operands ?? [], parameters: [])
        case .template(let name, let args, let options):
            guard op.controls == 0, !op.adjoint else { throw RuntimeError("the template \(name) cannot take ctrl @ or inv @ modifiers") }
            guard let wires = operands, !wires.isEmpty else { throw RuntimeError("template \(name) needs wires: \(name)(...) on 0..<n") }
            try Templates.apply(name, args: args, options: options, wires: wires, builder: self)
        case .circuit(let c):
            let all = operands ?? Array(0..<c.circuit.qubits)
            let k = op.controls
            guard all.count == k + c.circuit.qubits else {
                throw RuntimeError("a \(c.circuit.qubits)-qubit circuit\(k > 0 ? " with \(k) control(s)" : "") needs \(k + c.circuit.qubits) wires; got \(all.count): \(all)")
            }
            try append(c, wires: Array(all.dropFirst(k)), controls: Array(all.prefix(k)), adjoint: op.adjoint)
        }
    }

    /// Places `gate` on `operands` (controls first), or a one-qubit gate on each operand in turn.
    /// The wires are checked here, under the script's name for the gate (`cx`, not the
    /// simulator's label `X`).
    private func applyGate(_ gate: Gate, name: String, builtInControls: Int, op: Operation, operands: [Int], parameters: [Parameter]) throws {
        let controls = builtInControls + op.controls
        let needed = controls + gate.wireCount
        if operands.count == needed {
            try circuit.checkWires(operands, what: name)
            try circuit.apply(gate, Array(operands.dropFirst(controls)), controls: Array(operands.prefix(controls)), parameters: parameters, adjoint: op.adjoint)
        } else if controls == 0, gate.wireCount == 1, operands.count > 1 {
            for w in operands { try circuit.checkWires([w], what: name) }  // each on its own: a broadcast may repeat a wire
            for w in operands { try circuit.apply(gate, [w], parameters: parameters, adjoint: op.adjoint) }
        } else {
            let parts = controls > 0 ? " (\(controls) control\(controls == 1 ? "" : "s") + \(gate.wireCount) target\(gate.wireCount == 1 ? "" : "s"))" : ""
            throw RuntimeError("\(name) takes \(needed) wire(s)\(parts); got \(operands.count): \(operands)")
        }
    }

    /// The simulator parameter for a gate argument: a number, or an element of this circuit's
    /// parameters or inputs.
    func parameter(_ v: Value) throws -> Parameter {
        if let d = v.asDouble {
            guard d.isFinite else { throw RuntimeError("gate parameter \(d) is not finite") }
            return .constant(d)
        }
        guard case .symbol(let s) = v else {
            throw RuntimeError("a gate parameter must be a number or one element of a param/input; got \(v.typeName)")
        }
        return try element(s)
    }

    func element(_ s: CircuitSymbol) throws -> Parameter {
        try own(s)
        guard s.shape.isEmpty else {
            throw RuntimeError("\(s.name) has shape \(s.shape); a gate parameter needs one element, such as \(s.name)[\(Array(repeating: "0", count: s.shape.count).joined(separator: ", "))]")
        }
        return s.parameter
    }

    /// Throws unless `s` was declared in this circuit.
    func own(_ s: CircuitSymbol) throws {
        guard s.builder == id else {
            throw RuntimeError("\(s.name) belongs to another circuit; pass values, or build the gates inside that circuit's block")
        }
    }

    func prepare(_ p: StatePreparation) throws { try circuit.prepare(p) }

    func mutateCircuit(_ body: (inout Circuit) throws -> Void) throws { try body(&circuit) }

    /// Appends circuit `c`, its wire j mapped to `wires[j]` (identity when nil), optionally
    /// controlled and inverted.
    func append(_ c: CircuitValue, wires: [Int]?, controls: [Int], adjoint: Bool) throws {
        let map = wires ?? Array(0..<c.circuit.qubits)
        guard map.count == c.circuit.qubits else { throw RuntimeError("a \(c.circuit.qubits)-qubit circuit needs \(c.circuit.qubits) wires; got \(map.count)") }
        try circuit.checkWires(map + controls, what: "placing a \(c.circuit.qubits)-qubit circuit on \(controls.isEmpty ? "" : "controls \(controls) and ")\(map)")
        var source = c.circuit
        if adjoint { source = try source.inverse() }
        // Trainable slots: shared by identity, otherwise appended (renamed on a clash).
        var trainableMap = [Int](repeating: 0, count: max(c.values.count, source.trainableCount))
        for block in c.parameters {
            let target: Int
            if let existing = parameters.first(where: { $0.identity == block.identity }) {
                target = existing.offset
            } else {
                var name = block.name, k = 2
                while parameters.contains(where: { $0.name == name }) || inputs.contains(where: { $0.name == name }) { name = "\(block.name)_\(k)"; k += 1 }
                target = values.count
                parameters.append(ParameterBlock(name: name, shape: block.shape, offset: target, identity: block.identity))
                values += c.values[block.slots]
            }
            for (j, slot) in block.slots.enumerated() { trainableMap[slot] = target + j }
        }
        var inputMap = [Int](repeating: 0, count: max(source.inputCount, 1))
        for block in c.inputs {
            let target: Int
            if let existing = inputs.first(where: { $0.name == block.name }) {
                guard existing.count == block.count else {
                    throw RuntimeError("input \(block.name) has \(block.count) features in the appended circuit but \(existing.count) here")
                }
                target = existing.offset
            } else {
                target = inputEnd
                inputs.append(ParameterBlock(name: block.name, shape: block.shape, offset: target, identity: 0))
                inputEnd += block.count
            }
            for (j, slot) in block.slots.enumerated() where slot < inputMap.count { inputMap[slot] = target + j }
        }
        func remap(_ p: Parameter) -> Parameter {
            switch p {
            case .constant: return p
            case .trainable(let k): return .trainable(trainableMap[k])
            case .input(let k): return .input(inputMap[k])
            }
        }
        if let prep = source.preparation {
            guard controls.isEmpty else { throw RuntimeError("a circuit with an embedding cannot be controlled") }
            let features = inputMap[prep.features.lowerBound]..<(inputMap[prep.features.lowerBound] + prep.features.count)
            switch prep {
            case .amplitude(_, let w, let pad): try circuit.prepare(.amplitude(features: features, wires: w.map { map[$0] }, pad: pad))
            case .basis(_, let w): try circuit.prepare(.basis(features: features, wires: w.map { map[$0] }))
            }
        }
        for op in source.operations {
            try circuit.apply(op.gate, op.wires.map { map[$0] }, controls: controls + op.controls.map { map[$0] },
                              parameters: op.parameters.map(remap), adjoint: op.isAdjoint)
        }
    }

    /// `a + b`: b after a, on max(qubits) wires.
    static func compose(_ a: CircuitValue, _ b: CircuitValue) throws -> CircuitValue {
        let builder = try CircuitBuilder(id: 0, qubits: max(a.circuit.qubits, b.circuit.qubits))
        try builder.append(a, wires: nil, controls: [], adjoint: false)
        try builder.append(b, wires: nil, controls: [], adjoint: false)
        return builder.value
    }

    /// A whole circuit transformed: inverted, controlled, or repeated `times` times (sharing parameters).
    static func transform(_ c: CircuitValue, controls: [Int] = [], adjoint: Bool = false, times: Int = 1) throws -> CircuitValue {
        try Circuit.checkGrowable(to: controls, what: "controls")
        let n = max(c.circuit.qubits, (controls.max() ?? -1) + 1)
        let builder = try CircuitBuilder(id: 0, qubits: n)
        for _ in 0..<times { try builder.append(c, wires: nil, controls: controls, adjoint: adjoint) }
        return builder.value
    }
}
