import QDSimulator
import QDTensor

/// Building observables: placing `hermitian(M)` / `trainable_hermitian()` on wires, and the
/// Pauli-sum algebra (`0.5 * X0 + Z0 * Z1`).
enum ObservableBuilder {
    /// `spec on wires` (one observable on all the wires) or `spec on each wires` (one per wire).
    static func place(_ spec: ObservableSpec, on wires: [Int], each: Bool, interpreter: Interpreter) throws -> ObservableValue {
        let groups = each ? wires.map { [$0] } : [wires]
        guard !wires.isEmpty else { throw RuntimeError("an observable needs at least one wire") }
        for w in wires where !(0..<Circuit.maxQubits).contains(w) {
            throw RuntimeError("wire \(w) is out of range; wires are 0..<\(Circuit.maxQubits)")
        }
        guard Set(wires).count == wires.count else { throw RuntimeError("wires \(wires) repeat a wire") }
        switch spec {
        case .hermitian(let m):
            guard m.dimension == 1 << groups[0].count else {
                throw RuntimeError("a \(m.dimension)×\(m.dimension) Hermitian acts on \(m.qubitCount ?? 0) wire(s); got \(groups[0].count) wire(s) \(groups[0])")
            }
            return ObservableValue(items: groups.map { .hermitian(m, wires: $0) }, parameters: [], trainable: false)
        case .trainableHermitian(let mean, let std, let seed):
            var rng = SeededRandom(seed: seed ?? interpreter.nextSeed())
            var items: [Observable] = [], params: [Double] = []
            for g in groups {
                items.append(.trainableHermitian(wires: g, offset: params.count))
                params += (0..<(2 << (2 * g.count))).map { _ in mean + std * rng.normal() }
            }
            return ObservableValue(items: items, parameters: params, trainable: true)
        }
    }

    /// Pauli-sum arithmetic: `+`, `-` between sums, `*` and `/` by a real number, `*` between
    /// Pauli strings on different wires.
    static func arithmetic(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> ObservableValue {
        func terms(_ v: Value) -> [PauliTerm]? {
            guard case .observable(let o) = v, o.items.count == 1, case .pauli(let t) = o.items[0] else { return nil }
            return t
        }
        func sum(_ t: [PauliTerm]) -> ObservableValue { ObservableValue(.pauli(t)) }
        switch (op, terms(a), terms(b), a.asDouble, b.asDouble) {
        case (.add, let x?, let y?, _, _): return sum(x + y)
        case (.subtract, let x?, let y?, _, _): return sum(x + y.map { PauliTerm(-$0.coefficient, $0.factors) })
        case (.multiply, let x?, _, _, let s?), (.multiply, _, let x?, let s?, _): return sum(x.map { PauliTerm($0.coefficient * s, $0.factors) })
        case (.divide, let x?, _, _, let s?) where s != 0: return sum(x.map { PauliTerm($0.coefficient / s, $0.factors) })
        case (.multiply, let x?, let y?, _, _):
            var out: [PauliTerm] = []
            for p in x {
                for q in y {
                    if let clash = p.factors.first(where: { f in q.factors.contains { $0.wire == f.wire } }) {
                        throw RuntimeError("the product of two Pauli operators on the same wire \(clash.wire) is not supported; multiply Paulis on different wires (Z0 * Z1)")
                    }
                    out.append(PauliTerm(p.coefficient * q.coefficient, p.factors + q.factors))
                }
            }
            return sum(out)
        default:
            throw RuntimeError("'\(op.rawValue)' is not defined for \(a.typeName) and \(b.typeName): Pauli sums add and subtract, and multiply by numbers or by Paulis on other wires; collect several observables in a list")
        }
    }
}
