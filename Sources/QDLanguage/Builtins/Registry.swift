import QDSimulator

/// Every builtin name: functions, gates, templates and constants, each with its signature, doc
/// text and an example. The interpreter resolves names here after the user's scopes; the REPL's
/// `:help` and tab completion read the same table.
public struct Registry {
    /// One documented builtin.
    public struct Entry {
        /// The value the name evaluates to.
        public var value: Value
        /// Its signature.
        public var signature: String
        /// What it does.
        public var doc: String
        /// A short example.
        public var example: String
        /// Its group: "gate", "template", "quantum", "math", "learning", "constant".
        public var category: String
    }

    private var entries: [String: Entry] = [:]
    /// The gate table: language gate names and their simulator gates.
    public private(set) var gates: [String: GateSpec] = [:]

    /// All names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// The entry for `name`.
    public func entry(_ name: String) -> Entry? { entries[name] }

    /// The value of `name`, if it is a builtin.
    public func value(_ name: String) -> Value? { entries[name]?.value }

    /// Adds a builtin function.
    mutating func add(_ category: String, _ b: Builtin) {
        entries[b.name] = Entry(value: .function(.builtin(b)), signature: b.signature, doc: b.doc, example: b.example, category: category)
    }

    /// Adds a named constant or other value.
    mutating func add(_ category: String, _ name: String, _ value: Value, doc: String, example: String) {
        entries[name] = Entry(value: value, signature: name, doc: doc, example: example, category: category)
    }

    /// Adds a gate.
    mutating func add(gate spec: GateSpec) {
        gates[spec.name] = spec
        let params = spec.parameterCount == 0 ? "" : "(" + (spec.parameterCount == 1 ? "θ" : "φ, θ, ω") + ")"
        let wires = (0..<spec.operandCount).map { "q\($0)" }.joined(separator: ", ")
        entries[spec.name] = Entry(value: .operation(Operation(kind: .gate(spec, []))), signature: "\(spec.name)\(params) \(wires)",
                                   doc: spec.doc, example: "\(spec.name)\(spec.parameterCount == 0 ? "" : "(" + Array(repeating: "0.5", count: spec.parameterCount).joined(separator: ", ") + ")") \((0..<spec.operandCount).map(String.init).joined(separator: ", "))",
                                   category: "gate")
    }

    /// The registry of the standard library.
    public static func standard() -> Registry {
        var r = Registry()
        CoreBuiltins.register(&r)
        QuantumBuiltins.register(&r)
        InterchangeBuiltins.register(&r)
        LearningBuiltins.register(&r)
        LearningBuiltins.registerCosts(&r)
        PersistenceBuiltins.register(&r)
        PictureBuiltins.register(&r)
        return r
    }
}
