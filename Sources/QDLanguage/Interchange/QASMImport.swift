import Foundation
import QDSimulator

/// Import of gate-level OpenQASM 3 (and 2) programs: `qubit[n] q;` / `qreg q[n];` registers
/// (several are laid out one after another), the stdgates.inc gates, `U`, OpenQASM 2's `u1 u2 u3 cu1`,
/// `ctrl @` / `ctrl(k) @` / `inv @` modifiers, and `input float[64] name;` symbols, which become
/// trainable parameters (value 0). Gate arguments are constant expressions (numbers, `pi`, `+ - * /`,
/// parentheses) or one input symbol. Measurements, barriers, resets and classical registers are
/// ignored; anything else is an error naming the line.
enum QASMImport {
    static func parse(_ text: String, identity: inout Int) throws -> CircuitValue {
        var registers: [String: (offset: Int, size: Int)] = [:]
        var qubits = 0
        var inputs: [String] = []
        var statements: [(line: Int, text: String)] = []
        // Strip comments and split on ';'.
        var current = "", line = 1, start = 1
        var chars = Array(text)[...]
        while let c = chars.first {
            if chars.starts(with: "//") {
                while let d = chars.first, d != "\n" { chars = chars.dropFirst() }
                continue
            }
            if chars.starts(with: "/*") {
                chars = chars.dropFirst(2)
                while !chars.isEmpty && !chars.starts(with: "*/") { if chars.first == "\n" { line += 1 }; chars = chars.dropFirst() }
                chars = chars.dropFirst(2)
                continue
            }
            chars = chars.dropFirst()
            if c == "\n" { line += 1 }
            if c == ";" {
                statements.append((start, current.trimmingCharacters(in: .whitespacesAndNewlines)))
                current = ""
                start = line
            } else {
                if current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { start = line }
                current.append(c)
            }
        }
        if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw RuntimeError("OpenQASM line \(start): statement without a closing ';'")
        }
        struct Pending { var line: Int; var modifiers: [String]; var name: String; var args: [String]; var operands: [(String, Int?)] }
        var pending: [Pending] = []
        for (ln, s) in statements where !s.isEmpty {
            func fail(_ m: String) -> RuntimeError { RuntimeError("OpenQASM line \(ln): \(m)") }
            let words = s.split(whereSeparator: \.isWhitespace).map(String.init)
            if ["OPENQASM", "include", "barrier", "measure", "reset", "creg", "gphase"].contains(words[0]) || s.hasPrefix("bit") { continue }
            if words[0] == "input" {
                guard words.count >= 3, words[1].hasPrefix("float") || words[1].hasPrefix("angle") else { throw fail("only 'input float[64] name;' inputs are supported") }
                inputs.append(words.last!)
                continue
            }
            if s.hasPrefix("qubit") || words[0] == "qreg" {
                let name: String, size: Int
                if s.hasPrefix("qubit") {
                    let spec = s.dropFirst(5).trimmingCharacters(in: .whitespaces)
                    if spec.hasPrefix("["), let close = spec.firstIndex(of: "]"), let n = Int(spec[spec.index(after: spec.startIndex)..<close]) {
                        size = n
                        name = spec[spec.index(after: close)...].trimmingCharacters(in: .whitespaces)
                    } else {
                        size = 1
                        name = spec
                    }
                } else {
                    let spec = words.dropFirst().joined()
                    guard let open = spec.firstIndex(of: "["), let n = Int(spec[spec.index(after: open)...].dropLast()) else { throw fail("expected 'qreg name[n];'") }
                    size = n
                    name = String(spec[..<open])
                }
                guard size >= 1, registers[name] == nil else { throw fail("register '\(name)' needs a size of at least 1 and a new name") }
                guard size <= Circuit.maxQubits - qubits else {
                    throw fail("register '\(name)' of \(size) qubits makes more than the \(Circuit.maxQubits) a circuit may have (\(qubits) declared before it)")
                }
                registers[name] = (qubits, size)
                qubits += size
                continue
            }
            if s.contains("->") || s.hasPrefix("c[") { continue }   // OpenQASM 2 measure forms
            // modifiers @ name(args) operands
            var rest = Substring(s)
            var modifiers: [String] = []
            while let at = rest.firstIndex(of: "@") {
                let modifier = rest[..<at].trimmingCharacters(in: .whitespaces)
                guard !modifier.contains("(") || modifier.hasPrefix("ctrl") else { break }
                modifiers.append(modifier)
                rest = rest[rest.index(after: at)...]
            }
            rest = rest.drop(while: \.isWhitespace)
            var name = String(rest.prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" }))
            rest = rest.dropFirst(name.count)
            var args: [String] = []
            if rest.first == "(" {
                var depth = 0, arg = ""
                var consumed = 0
                for ch in rest {
                    consumed += 1
                    if ch == "(" { depth += 1; if depth == 1 { continue } }
                    if ch == ")" { depth -= 1; if depth == 0 { break } }
                    if ch == "," && depth == 1 { args.append(arg); arg = ""; continue }
                    arg.append(ch)
                }
                args.append(arg)
                rest = rest.dropFirst(consumed)
            }
            let operands = try rest.split(separator: ",").map { o -> (String, Int?) in
                let t = o.trimmingCharacters(in: .whitespaces)
                if let open = t.firstIndex(of: "["), let idx = Int(t[t.index(after: open)...].dropLast()) { return (String(t[..<open]), idx) }
                guard !t.isEmpty else { throw fail("missing operand") }
                return (t, nil)
            }
            if name == "u" { name = "U" }
            pending.append(Pending(line: ln, modifiers: modifiers, name: name, args: args, operands: operands))
        }
        guard qubits >= 1 else { throw RuntimeError("OpenQASM: the program declares no qubits") }
        let builder = try CircuitBuilder(id: 0, qubits: qubits)
        var symbols: [String: Parameter] = [:]
        var values: [Double] = []
        for name in inputs {
            symbols[name] = .trainable(values.count)
            values.append(0)
        }
        for p in pending {
            func fail(_ m: String) -> RuntimeError { RuntimeError("OpenQASM line \(p.line): \(m)") }
            let wires = try p.operands.flatMap { (reg, idx) -> [Int] in
                guard let r = registers[reg] else { throw fail("unknown register '\(reg)'") }
                if let i = idx {
                    guard (0..<r.size).contains(i) else { throw fail("\(reg)[\(i)] is out of range; \(reg) has \(r.size) qubits") }
                    return [r.offset + i]
                }
                return Array(r.offset..<(r.offset + r.size))
            }
            var params = try p.args.map { try QASMExpression.evaluate($0, symbols: symbols, line: p.line) }
            if p.name == "u2" { params = [.constant(.pi / 2)] + params }   // u2(φ, λ) = U(π/2, φ, λ)
            guard let spec = QASMImport.gate(named: p.name) else {
                throw fail("unsupported gate '\(p.name)'; supported: the stdgates.inc gates, U, u1, u2, u3, cu1")
            }
            let gate = spec.gate
            var controls = spec.controls
            guard params.count == gate.parameterCount else { throw fail("\(p.name) takes \(gate.parameterCount) parameter(s); got \(params.count)") }
            var adjoint = false
            for m in p.modifiers {
                if m == "inv" { adjoint.toggle() }
                else if m == "ctrl" { controls += 1 }
                else if m.hasPrefix("ctrl("), let k = Int(m.dropFirst(5).dropLast()), k >= 1 { controls += k }
                else { throw fail("unsupported modifier '\(m) @'; supported: ctrl @, ctrl(k) @, inv @") }
            }
            guard wires.count == controls + gate.wireCount else {
                throw fail("\(p.name) takes \(controls + gate.wireCount) qubit(s); got \(wires.count)")
            }
            try builder.mutateCircuit {
                try $0.apply(gate, Array(wires.dropFirst(controls)), controls: Array(wires.prefix(controls)), parameters: params, adjoint: adjoint)
            }
        }
        identity += 1
        var value = builder.value
        value.parameters = inputs.enumerated().map { ParameterBlock(name: $0.element, shape: [], offset: $0.offset, identity: identity * 10_000 + $0.offset) }
        value.values = values
        value.circuit.reserveTrainable(values.count)
        return value
    }
}

extension QASMImport {
    /// Gates of the language's table that OpenQASM's stdgates.inc does not have.
    static let notInStdgates: Set<String> = ["rot", "crot"]

    /// OpenQASM 2 and 3 spellings of the language's gates.
    private static let aliases = ["U": "u3", "u2": "u3", "u1": "p", "phase": "p", "CX": "cx", "cnot": "cx", "cu1": "cp", "cphase": "cp"]

    /// The gate-table entry an OpenQASM gate name means, or nil when it has none.
    static func gate(named name: String) -> GateSpec? {
        let key = aliases[name] ?? name
        guard !notInStdgates.contains(key) else { return nil }
        return QuantumBuiltins.gateTable.first { $0.name == key }
    }
}

/// Constant OpenQASM parameter expressions, or a lone input symbol.
enum QASMExpression {
    static func evaluate(_ text: String, symbols: [String: Parameter], line: Int) throws -> Parameter {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let s = symbols[t] { return s }
        var p = Parser(Array(t), line: line)
        let v = try p.sum()
        guard p.i == p.chars.count else { throw RuntimeError("OpenQASM line \(line): cannot read the parameter '\(t)' (a constant expression or one input name)") }
        return .constant(v)
    }

    private struct Parser {
        let chars: [Character]
        let line: Int
        var i = 0
        init(_ c: [Character], line: Int) { chars = c; self.line = line }
        mutating func skip() { while i < chars.count, chars[i] == " " { i += 1 } }
        mutating func sum() throws -> Double {
            try level(["+": (+), "-": (-)]) { p in try p.product() }
        }
        mutating func product() throws -> Double {
            try level(["*": (*), "/": (/)]) { p in try p.unary() }
        }
        /// One left-associative precedence level: operands from `next`, joined by `operators`.
        mutating func level(_ operators: [Character: (Double, Double) -> Double], next: (inout Parser) throws -> Double) throws -> Double {
            var v = try next(&self)
            while true {
                skip()
                guard i < chars.count, let op = operators[chars[i]] else { return v }
                i += 1
                v = op(v, try next(&self))
            }
        }
        mutating func unary() throws -> Double {
            skip()
            if i < chars.count, chars[i] == "-" { i += 1; return -(try unary()) }
            if i < chars.count, chars[i] == "+" { i += 1; return try unary() }
            if i < chars.count, chars[i] == "(" {
                i += 1
                let v = try sum()
                skip()
                guard i < chars.count, chars[i] == ")" else { throw RuntimeError("OpenQASM line \(line): missing ')'") }
                i += 1
                return v
            }
            var word = ""
            while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "." || chars[i] == "π" || chars[i] == "_"
                || ((chars[i] == "-" || chars[i] == "+") && (word.hasSuffix("e") || word.hasSuffix("E")) && word.first?.isNumber == true) {
                word.append(chars[i]); i += 1
            }
            if word == "pi" || word == "π" { return .pi }
            if word == "tau" || word == "τ" { return 2 * .pi }
            if word == "euler" { return M_E }
            guard let v = Double(word) else { throw RuntimeError("OpenQASM line \(line): cannot read '\(word)' in a parameter (only constants, pi and one input name)") }
            return v
        }
    }
}
