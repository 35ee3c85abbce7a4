import QDSimulator

/// A JSON value, printed with full floating-point precision (Swift's shortest round-trip form).
public indirect enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Keys in order.
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.serialized == b.serialized }

    /// Compact JSON text on one line. Non-finite numbers become the strings "nan", "inf", "-inf".
    public var serialized: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let x):
            if x.isNaN { return "\"nan\"" }
            if x.isInfinite { return x < 0 ? "\"-inf\"" : "\"inf\"" }
            if x.rounded() == x && abs(x) < 1e15 { return String(Int64(x)) }
            return "\(x)"
        case .string(let s): return JSONValue.quote(s)
        case .array(let items): return "[" + items.map(\.serialized).joined(separator: ",") + "]"
        case .object(let fields): return "{" + fields.map { JSONValue.quote($0.0) + ":" + $0.1.serialized }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}

import Foundation

/// The JSON form of every value type (`{"type": ..., ...}`).
enum JSONEncoding {
    static func json(_ v: Value) -> JSONValue {
        func typed(_ t: String, _ fields: [(String, JSONValue)]) -> JSONValue { .object([("type", .string(t))] + fields) }
        switch v {
        case .none: return typed("nil", [])
        case .bool(let b): return typed("bool", [("value", .bool(b))])
        case .int(let i): return typed("int", [("value", .number(Double(i)))])
        case .number(let x): return typed("float", [("value", .number(x))])
        case .complex(let z): return typed("complex", [("re", .number(z.re)), ("im", .number(z.im))])
        case .string(let s): return typed("string", [("value", .string(s))])
        case .list(let items): return typed("list", [("items", .array(items.map(json)))])
        case .range(let lo, let hi): return typed("range", [("lower", .number(Double(lo))), ("upper", .number(Double(hi)))])
        case .tensor(let t): return typed("tensor", [("shape", .array(t.shape.map { .number(Double($0)) })), ("data", .array(t.data.map(JSONValue.number)))])
        case .record(let fields): return typed("record", [("fields", .object(fields.map { ($0.0, json($0.1)) }))])
        case .state(let s):
            return typed("state", [("qubits", .number(Double(s.qubits))), ("batch", .number(Double(s.batch))),
                                   ("re", .array(s.re.map(JSONValue.number))), ("im", .array(s.im.map(JSONValue.number))),
                                   ("layout", .string("amplitude a of item b at a*batch+b; wire 0 is the most significant bit"))])
        case .circuit(let c):
            return typed("circuit", [("qubits", .number(Double(c.circuit.qubits))), ("operations", .number(Double(c.circuit.operations.count))),
                                     ("diagram", .string(c.circuit.diagram())), ("parameters", .array(c.values.map(JSONValue.number)))])
        case .object(let o): return o.json()
        default: return typed(v.typeName, [("text", .string(Interpreter.Display.inline(v)))])
        }
    }
}
