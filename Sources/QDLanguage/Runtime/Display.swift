import Foundation
import QDSimulator

/// Formats a real for display: integers without a fraction, otherwise 10 significant digits, and
/// |x| < 1e-12 shown as 0 (floating-point noise). `qd --json` keeps full precision.
public func formatNumber(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x < 0 ? "-inf" : "inf" }
    if abs(x) < 1e-12 { return "0" }
    if x.rounded() == x && abs(x) < 1e15 { return String(Int64(x)) }
    return String(format: "%.10g", x)
}

/// Formats a complex number as `a+bim`.
public func formatComplex(_ z: Complex) -> String {
    let re = abs(z.re) < 1e-12 ? 0 : z.re, im = abs(z.im) < 1e-12 ? 0 : z.im
    if im == 0 { return formatNumber(re) }
    let imText = (abs(im) == 1 ? "" : formatNumber(abs(im))) + "im"
    if re == 0 { return (im < 0 ? "-" : "") + imText }
    return formatNumber(re) + (im < 0 ? "-" : "+") + imText
}

extension Interpreter.Display {
    /// The notebook text of a value: circuits as diagrams, states as their largest amplitudes,
    /// tensors as shape, statistics and a preview, objects as their own summaries.
    public static func text(_ v: Value) -> String {
        switch v {
        case .string(let s): return s.hasSuffix("\n") ? String(s.dropLast()) : s
        case .circuit(let c): return circuitText(c)
        case .state(let s): return stateText(s)
        case .tensor(let t) where t.count > 64 || t.shape.count > 2: return tensorSummary(t)
        case .object(let o): return o.display()
        default: return inline(v)
        }
    }

    /// The one-line form used inside lists and records.
    public static func inline(_ v: Value) -> String {
        switch v {
        case .none: return "nil"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .number(let x): return formatNumber(x)
        case .complex(let z): return formatComplex(z)
        case .string(let s): return "\"\(s)\""
        case .list(let items): return "[" + items.map(inline).joined(separator: ", ") + "]"
        case .range(let lo, let hi): return "\(lo)..<\(hi)"
        case .tensor(let t): return t.count > 64 || t.shape.count > 2 ? "tensor\(t.shape)" : nested(t)
        case .record(let fields): return "{" + fields.map { "\($0.0): \(inline($0.1))" }.joined(separator: ", ") + "}"
        case .function(.user(let f)): return "fn \(f.name)(\(f.parameters.map(\.name).joined(separator: ", ")))"
        case .function(.builtin(let b)): return "builtin \(b.signature)"
        case .circuit(let c): return "circuit(\(c.circuit.qubits) qubits, \(c.circuit.operations.count) operations)"
        case .operation(let o): return operationText(o)
        case .observable(let o): return observableText(o)
        case .observableSpec(let s):
            switch s {
            case .hermitian(let m): return "hermitian(\(m.dimension)×\(m.dimension)) (place it with 'on')"
            case .trainableHermitian: return "trainable_hermitian (place it with 'on')"
            }
        case .symbol(let s): return "\(s.kind == .trainable ? "param" : "input") \(s.name)\(s.shape.isEmpty ? "" : "\(s.shape)") @\(s.offset)"
        case .initializer(let i):
            switch i {
            case .zeros: return "zeros"
            case .xavier: return "xavier"
            case .normal(let m, let s, _): return "normal(\(formatNumber(m)), \(formatNumber(s)))"
            case .uniform(let a, let b, _): return "uniform(\(formatNumber(a)), \(formatNumber(b)))"
            }
        case .state(let s): return "state(\(s.qubits) qubits, batch \(s.batch))"
        case .object(let o): return o.display().split(separator: "\n").first.map(String.init) ?? o.typeName
        }
    }

    static func nested(_ t: NDArray) -> String {
        if t.shape.isEmpty { return formatNumber(t.data[0]) }
        if t.shape.count == 1 { return "[" + t.data.map(formatNumber).joined(separator: ", ") + "]" }
        return "[" + t.rows.map { "[" + $0.map(formatNumber).joined(separator: ", ") + "]" }.joined(separator: ", ") + "]"
    }

    static func tensorSummary(_ t: NDArray) -> String {
        let finite = t.data.filter(\.isFinite)
        let mean = finite.reduce(0, +) / Double(max(finite.count, 1))
        let std = (finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(finite.count, 1))).squareRoot()
        var s = "tensor \(t.shape.map(String.init).joined(separator: "×")) float64: mean \(formatNumber(mean)), std \(formatNumber(std))"
        s += ", min \(formatNumber(finite.min() ?? .nan)), max \(formatNumber(finite.max() ?? .nan))"
        if finite.count < t.count { s += ", \(t.count - finite.count) non-finite" }
        s += "\n[" + t.data.prefix(8).map(formatNumber).joined(separator: ", ") + (t.count > 8 ? ", …]" : "]")
        return s
    }

    static func circuitText(_ c: CircuitValue) -> String {
        var s = c.circuit.diagram()
        var notes: [String] = []
        if !c.parameters.isEmpty { notes.append("params " + c.parameters.map { "\($0.name)\($0.shape.isEmpty ? "" : "\($0.shape)")" }.joined(separator: ", ") + " (θ\(0)..θ\(max(c.values.count - 1, 0)))") }
        if !c.inputs.isEmpty { notes.append("inputs " + c.inputs.map { "\($0.name)\($0.shape.isEmpty ? "" : "\($0.shape)")" }.joined(separator: ", ")) }
        if !notes.isEmpty { s += "\n" + notes.joined(separator: "; ") }
        return s
    }

    /// The largest amplitudes (up to 8, at least 1e-12 in probability) of each item, by basis index.
    static func stateText(_ s: StateBatch) -> String {
        var lines: [String] = []
        for b in 0..<min(s.batch, 4) {
            if s.batch > 1 { lines.append("item \(b):") }
            let p = s.probabilities(item: b)
            let top = p.indices.filter { p[$0] > 1e-12 }.sorted { p[$0] > p[$1] }.prefix(8).sorted()
            for a in top {
                lines.append("\(s.basisLabel(a))  \(formatComplex(s.amplitude(item: b, index: a)))  p=\(formatNumber(p[a]))")
            }
            let shown = top.count, nonzero = p.filter { $0 > 1e-12 }.count
            if nonzero > shown { lines.append("… \(nonzero - shown) more basis states") }
        }
        if s.batch > 4 { lines.append("… \(s.batch - 4) more items") }
        return lines.joined(separator: "\n")
    }

    static func operationText(_ o: Operation) -> String {
        var s = String(repeating: "inv @ ", count: o.adjoint ? 1 : 0) + (o.controls > 0 ? "ctrl(\(o.controls)) @ " : "")
        switch o.kind {
        case .gate(let spec, let params):
            s += spec.name + (params.isEmpty ? "" : "(" + params.map(inline).joined(separator: ", ") + ")")
        case .unitary(let m): s += "unitary(\(m.dimension)×\(m.dimension))"
        case .template(let name, let args, _): s += "\(name)(" + args.map(inline).joined(separator: ", ") + ")"
        case .circuit(let c): s += "circuit(\(c.circuit.qubits) qubits)"
        }
        if let w = o.wires { s += " on \(w)" }
        return s
    }

    static func observableText(_ o: ObservableValue) -> String {
        let parts = o.items.map { item -> String in
            switch item {
            case .pauli(let terms):
                return terms.map { t in
                    let ops = t.factors.isEmpty ? "I" : t.factors.map { "\($0.pauli.rawValue)\($0.wire)" }.joined(separator: "*")
                    return t.coefficient == 1 ? ops : "\(formatNumber(t.coefficient))*\(ops)"
                }.joined(separator: " + ")
            case .hermitian(let m, let w): return "hermitian(\(m.dimension)×\(m.dimension)) on \(w)"
            case .trainableHermitian(let w, _): return "trainable_hermitian on \(w)"
            }
        }
        return parts.count == 1 ? parts[0] : "[" + parts.joined(separator: ", ") + "]"
    }
}
