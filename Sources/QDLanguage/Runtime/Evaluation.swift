import Foundation
import QDLearning
import QDSimulator
import QDTensor

extension Interpreter {
    /// The value of an expression.
    func eval(_ e: Expr, _ scope: Scope) throws -> Value {
        do {
            return try evalUnlocated(e, scope)
        } catch var r as RuntimeError where r.location == nil {
            r.location = e.location
            throw r
        } catch let library where library is SimulatorError || library is TensorError || library is DataError {
            // the libraries' errors are placed at the innermost expression that raised them
            throw RuntimeError("\(library)", at: e.location)
        }
    }

    private func evalUnlocated(_ e: Expr, _ scope: Scope) throws -> Value {
        switch e.kind {
        case .integer(let v): return .int(v)
        case .number(let v): return .number(v)
        case .imaginary(let v): return .complex(Complex(0, v))
        case .string(let s): return .string(s)
        case .bool(let b): return .bool(b)
        case .nil: return .none
        case .name(let name): return try lookup(name, scope)
        case .list(let items): return .list(try items.map { try eval($0, scope) })
        case .unary(let op, let operand):
            return try unary(op, try eval(operand, scope))
        case .binary(.and, let l, let r):
            guard let a = try eval(l, scope).asBool else { throw RuntimeError("'and' needs true or false on its left", at: l.location) }
            if !a { return .bool(false) }
            guard let b = try eval(r, scope).asBool else { throw RuntimeError("'and' needs true or false on its right", at: r.location) }
            return .bool(b)
        case .binary(.or, let l, let r):
            guard let a = try eval(l, scope).asBool else { throw RuntimeError("'or' needs true or false on its left", at: l.location) }
            if a { return .bool(true) }
            guard let b = try eval(r, scope).asBool else { throw RuntimeError("'or' needs true or false on its right", at: r.location) }
            return .bool(b)
        case .binary(let op, let l, let r):
            return try Operators.binary(op, try eval(l, scope), try eval(r, scope))
        case .range(let lo, let hi, let closed):
            let a = try eval(lo, scope), b = try eval(hi, scope)
            guard let i = a.asInt else { throw RuntimeError("a range bound must be an integer; got \(a.typeName)", at: lo.location) }
            guard let j = b.asInt else { throw RuntimeError("a range bound must be an integer; got \(b.typeName)", at: hi.location) }
            guard closed else { return .range(lower: i, upper: j) }
            let upper = j.addingReportingOverflow(1)
            if upper.overflow { throw RuntimeError("the range \(i)...\(j) ends past the largest integer; use \(i)..<\(j) instead", at: hi.location) }
            return .range(lower: i, upper: upper.partialValue)
        case .placement(let target, let wiresExpr, let each):
            let value = try eval(target, scope)
            let w = try eval(wiresExpr, scope)
            guard let wires = try w.asIntList else { throw RuntimeError("wires after 'on' must be an integer, a list of integers or a range; got \(w.typeName)", at: wiresExpr.location) }
            return try place(value, on: wires, each: each)
        case .call(let callee, let args):
            let f = try eval(callee, scope)
            var positional: [Value] = [], labelled: [(String, Value)] = []
            for a in args {
                let v = try eval(a.value, scope)
                if let l = a.label { labelled.append((l, v)) } else { positional.append(v) }
            }
            return try call(f, positional: positional, labelled: labelled, at: e.location)
        case .index(let base, let indices):
            return try indexValue(try eval(base, scope), try indices.map { try eval($0, scope) })
        case .member(let base, let name):
            return try member(try eval(base, scope), name)
        case .circuit(let qubitsExpr, let body):
            let q = try eval(qubitsExpr, scope)
            guard let n = q.asInt, (1...options.maxQubits).contains(n) else {
                throw RuntimeError("circuit(n): n must be an integer in 1...\(options.maxQubits); got \(q.asDouble.map(formatNumber) ?? q.typeName)", at: qubitsExpr.location)
            }
            nextBuilderID += 1
            let b = try CircuitBuilder(id: nextBuilderID, qubits: n)
            builders.append(b)
            defer { builders.removeLast() }
            try execute(body, in: Scope(parent: scope))
            return .circuit(b.value)
        }
    }

    // MARK: names

    func lookup(_ name: String, _ scope: Scope) throws -> Value {
        if let v = scope.lookup(name) { return v }
        if let v = registry.value(name) { return v }
        if let o = Interpreter.pauliObservable(name) { return .observable(o) }
        let candidates = scope.allNames + registry.names
        var message = "unknown name '\(name)'"
        if let s = closestName(name, candidates) { message += "; did you mean '\(s)'?" }
        throw RuntimeError(message)
    }

    /// `X0`, `Y12`, `Z3`: the Pauli observable on that wire.
    static func pauliObservable(_ name: String) -> ObservableValue? {
        guard name.count >= 2, let p = Pauli(rawValue: String(name.prefix(1))), let w = Int(name.dropFirst()),
              name.dropFirst().allSatisfy(\.isNumber), w < Circuit.maxQubits else { return nil }
        return ObservableValue(.pauli([PauliTerm(1, [(w, p)])]))
    }

    // MARK: operators

    private func unary(_ op: UnaryOperator, _ v: Value) throws -> Value {
        switch op {
        case .not:
            guard let b = v.asBool else { throw RuntimeError("'not' needs true or false; got \(v.typeName)") }
            return .bool(!b)
        case .plus: return try Operators.binary(.multiply, .int(1), v)
        case .negate: return try Operators.binary(.multiply, .int(-1), v)
        }
    }

    // MARK: calls

    /// Calls a function value (user function, builtin, gate or template) with evaluated arguments.
    public func call(_ f: Value, positional: [Value], labelled: [(String, Value)], at location: SourceLocation) throws -> Value {
        switch f {
        case .function(.builtin(let b)):
            var args = Arguments(function: b.name, interpreter: self, positional: positional, labelled: labelled)
            let result = try b.body(&args)
            try args.finish()
            return result
        case .function(.user(let u)):
            return try callUser(u, positional: positional, labelled: labelled, at: location)
        case .operation(var op):
            switch op.kind {
            case .gate(let spec, let existing) where existing.isEmpty && op.wires == nil:
                guard labelled.isEmpty else { throw RuntimeError("gate \(spec.name) takes positional parameters only") }
                guard positional.count == spec.parameterCount else {
                    throw RuntimeError("gate \(spec.name) takes \(spec.parameterCount) parameter(s); got \(positional.count)")
                }
                op.kind = .gate(spec, positional)
                return .operation(op)
            case .template(let name, let existing, _) where existing.isEmpty:
                return .operation(Operation(kind: .template(name, positional, Dictionary(labelled, uniquingKeysWith: { a, _ in a }))))
            default:
                throw RuntimeError("this \(op.typeName) already has its arguments; it cannot be called again")
            }
        default:
            throw RuntimeError("\(f.typeName) is not callable")
        }
    }

    private func callUser(_ u: UserFunction, positional: [Value], labelled: [(String, Value)], at location: SourceLocation) throws -> Value {
        guard callDepth < Interpreter.maxCallDepth else {
            throw RuntimeError("recursion is too deep: at most \(Interpreter.maxCallDepth) nested calls")
        }
        guard positional.count <= u.parameters.count else {
            throw RuntimeError("\(u.name) takes at most \(u.parameters.count) argument(s); got \(positional.count)")
        }
        let scope = Scope(parent: u.scope)
        for (i, p) in u.parameters.enumerated() {
            if i < positional.count {
                if labelled.contains(where: { $0.0 == p.name }) { throw RuntimeError("\(u.name): argument '\(p.name)' is given twice") }
                scope.define(p.name, positional[i])
            } else if let v = labelled.first(where: { $0.0 == p.name })?.1 {
                scope.define(p.name, v)
            } else if let d = p.defaultValue {
                scope.define(p.name, try eval(d, scope))
            } else {
                throw RuntimeError("\(u.name): missing argument '\(p.name)'")
            }
        }
        if let unknown = labelled.first(where: { l in !u.parameters.contains { $0.name == l.0 } }) {
            throw RuntimeError("\(u.name) has no parameter '\(unknown.0)'; its parameters are \(u.parameters.map(\.name).joined(separator: ", "))")
        }
        callDepth += 1
        trace.append(.init(function: u.name, file: currentFile, location: location))
        let savedFile = currentFile, savedLine = currentLine
        currentFile = u.file
        defer {
            callDepth -= 1
            trace.removeLast()
            currentFile = savedFile
            currentLine = savedLine
        }
        do {
            try execute(u.body, in: scope)
        } catch ControlFlow.returning(let v) {
            return v
        }
        return .none
    }

    // MARK: members

    func member(_ v: Value, _ name: String) throws -> Value {
        if let m = try Members.member(v, name, interpreter: self) { return m }
        let names = Members.names(v)
        var message = "\(v.typeName) has no member '\(name)'"
        if let s = closestName(name, names) { message += "; did you mean '\(s)'?" }
        else if !names.isEmpty { message += "; its members are \(names.joined(separator: ", "))" }
        throw RuntimeError(message)
    }

    // MARK: placement

    private func place(_ v: Value, on wires: [Int], each: Bool) throws -> Value {
        switch v {
        case .operation(var op):
            guard !each else { throw RuntimeError("'on each' places observables; for a gate on several wires write 'on' (one-qubit gates broadcast)") }
            op.wires = wires
            return .operation(op)
        case .circuit(let c):
            guard !each else { throw RuntimeError("'on each' places observables, not circuits") }
            return .operation(Operation(kind: .circuit(c), wires: wires))
        case .observableSpec(let spec):
            return .observable(try ObservableBuilder.place(spec, on: wires, each: each, interpreter: self))
        default:
            throw RuntimeError("'on' places a gate, template, circuit or hermitian(...) observable; got \(v.typeName)")
        }
    }
}

/// The candidate closest to `name` by edit distance, if it is close enough to be a likely typo.
func closestName(_ name: String, _ candidates: [String]) -> String? {
    let target = Array(name.lowercased())
    var best: (String, Int)?
    for c in Set(candidates) where c != name {
        let d = editDistance(target, Array(c.lowercased()))
        if d <= max(1, target.count / 3), best.map({ d < $0.1 || (d == $0.1 && c < $0.0) }) ?? true { best = (c, d) }
    }
    return best?.0
}

/// The Levenshtein distance between two strings (insertions, deletions and substitutions).
public func editDistance(_ a: String, _ b: String) -> Int { editDistance(Array(a), Array(b)) }

private func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var row = [i] + [Int](repeating: 0, count: b.count)
        for j in 1...b.count {
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = row
    }
    return previous[b.count]
}
