/// Running a gate statement, `ctrl @ inv @ name(arguments) operands`, inside a circuit block.
extension Interpreter {
    func executeGate(_ g: GateStatement, _ scope: Scope, at location: SourceLocation) throws {
        guard let builder = builders.last else {
            throw RuntimeError("the gate statement '\(g.name) ...' must be inside a circuit block: circuit(n) { \(g.name) ... }")
        }
        var positional: [Value] = [], labelled: [(String, Value)] = []
        for a in g.arguments ?? [] {
            let v = try eval(a.value, scope)
            if let l = a.label { labelled.append((l, v)) } else { positional.append(v) }
        }
        // Gates take precedence over user names in gate statements, so `input x[4]` does not hide `x 0`.
        var target: Value
        if let spec = registry.gates[g.name] {
            target = .operation(Operation(kind: .gate(spec, [])))
        } else {
            target = try lookup(g.name, scope)
        }
        if g.arguments != nil || isFunction(target) {
            target = try call(target, positional: positional, labelled: labelled, at: location)
        }
        var op: Operation
        switch target {
        case .operation(let o): op = o
        case .circuit(let c): op = Operation(kind: .circuit(c))
        case .none:
            guard g.operands.isEmpty, g.wires == nil, g.modifiers.isEmpty else {
                throw RuntimeError("\(g.name) returned nothing, so it cannot take operands or modifiers; return a circuit from it to place it on wires")
            }
            return
        default:
            throw RuntimeError("'\(g.name)' is a \(target.typeName), not a gate, template, circuit or function returning a circuit")
        }
        for m in g.modifiers {
            switch m {
            case .inverse: op.adjoint.toggle()
            case .control(let countExpr):
                var count = 1
                if let e = countExpr {
                    let v = try eval(e, scope)
                    guard let n = v.asInt, n >= 1 else { throw RuntimeError("ctrl(n) needs a positive integer n; got \(v.typeName)", at: e.location) }
                    count = n
                }
                op.controls += count
            }
        }
        var wires: [Int] = []
        if let w = g.wires {
            let v = try eval(w, scope)
            guard let list = try v.asIntList else { throw RuntimeError("wires after 'on' must be integers, a list or a range; got \(v.typeName)", at: w.location) }
            wires = list
        } else {
            for operand in g.operands {
                let v = try eval(operand, scope)
                guard let list = try v.asIntList else {
                    throw RuntimeError("a gate operand must be a wire number (or a list or range of them); got \(v.typeName)", at: operand.location)
                }
                wires += list
            }
        }
        if let placed = op.wires {
            guard wires.isEmpty else { throw RuntimeError("\(g.name) already has wires \(placed); do not give operands too") }
            wires = placed
        }
        if case .circuit = op.kind, wires.isEmpty {
            try builder.apply(op, operands: nil)
        } else {
            try builder.apply(op, operands: wires)
        }
    }

    private func isFunction(_ v: Value) -> Bool {
        if case .function = v { return true }
        return false
    }
}
