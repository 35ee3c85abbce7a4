import QDSimulator

/// `value.member` for the built-in value types; engine objects answer for themselves.
enum Members {
    static func member(_ v: Value, _ name: String, interpreter: Interpreter) throws -> Value? {
        switch v {
        case .circuit(let c):
            switch name {
            case "qubits": return .int(c.circuit.qubits)
            case "params": return .tensor(NDArray(c.values))
            case "param_count": return .int(c.values.count)
            case "param_names": return .list(c.parameters.map { .string($0.name) })
            case "input_names": return .list(c.inputs.map { .string($0.name) })
            case "input_count": return .int(c.circuit.inputCount)
            case "operation_count": return .int(c.circuit.operations.count)
            default:
                if let block = c.parameters.first(where: { $0.name == name }) {
                    return .tensor(NDArray(shape: block.shape, data: Array(c.values[block.slots])))
                }
                return nil
            }
        case .state(let s):
            switch name {
            case "qubits": return .int(s.qubits)
            case "batch": return .int(s.batch)
            case "probs":
                let rows = (0..<s.batch).map { s.probabilities(item: $0) }
                return .tensor(s.batch == 1 ? NDArray(rows[0]) : NDArray(shape: [s.batch, s.dimension], data: rows.flatMap { $0 }))
            case "amplitudes":
                return .list((0..<s.batch).flatMap { b in s.amplitudes(item: b).map { Value.complex($0) } })
            default: return nil
            }
        case .tensor(let t):
            switch name {
            case "shape": return .list(t.shape.map(Value.int))
            case "size": return .int(t.count)
            default: return nil
            }
        case .list(let items):
            return name == "count" ? .int(items.count) : nil
        case .record(let fields):
            return fields.first { $0.0 == name }?.1
        case .observable(let o):
            switch name {
            case "count": return .int(o.items.count)
            case "params": return .tensor(NDArray(o.parameters))
            default: return nil
            }
        case .object(let o):
            return try o.member(name, interpreter: interpreter)
        default:
            return nil
        }
    }

    static func names(_ v: Value) -> [String] {
        switch v {
        case .circuit(let c): return ["qubits", "params", "param_count", "param_names", "input_names", "input_count", "operation_count"] + c.parameters.map(\.name)
        case .state: return ["qubits", "batch", "probs", "amplitudes"]
        case .tensor: return ["shape", "size"]
        case .list: return ["count"]
        case .record(let fields): return fields.map(\.0)
        case .observable: return ["count", "params"]
        case .object(let o): return o.memberNames
        default: return []
        }
    }
}
