import QDSimulator

/// Something that can be called: a user function (with the scope it was defined in) or a builtin,
/// optionally bound to the value it was reached through (`d.step`).
public enum Callable {
    case user(UserFunction)
    case builtin(Builtin)

    /// The name shown in traces and messages.
    public var name: String {
        switch self {
        case .user(let f): return f.name
        case .builtin(let b): return b.name
        }
    }
}

/// A function defined with `fn`.
public final class UserFunction {
    /// Its name.
    public let name: String
    /// Its parameters.
    public let parameters: [FunctionParameter]
    /// Its body.
    public let body: [Stmt]
    /// The scope it closes over.
    let scope: Scope
    /// Its file, for traces.
    let file: String

    init(name: String, parameters: [FunctionParameter], body: [Stmt], scope: Scope, file: String) {
        self.name = name
        self.parameters = parameters
        self.body = body
        self.scope = scope
        self.file = file
    }
}

/// A function provided by the interpreter, documented for `:help`.
public struct Builtin {
    /// Its name.
    public var name: String
    /// Its call signature, e.g. `sample(circuit, shots: 1000, seed: nil)`.
    public var signature: String
    /// What it does.
    public var doc: String
    /// A one-line example.
    public var example: String
    /// The implementation.
    public var body: (inout Arguments) throws -> Value

    /// A builtin.
    public init(_ name: String, _ signature: String, doc: String, example: String, body: @escaping (inout Arguments) throws -> Value) {
        self.name = name
        self.signature = signature
        self.doc = doc
        self.example = example
        self.body = body
    }
}

/// The arguments of one builtin call, taken one by one with typed accessors whose errors name the
/// argument and the expected type. Unused arguments are an error (`finish()`).
public struct Arguments {
    /// The builtin's name, for messages.
    public let function: String
    /// The interpreter (for seeds, the simulator and output).
    public let interpreter: Interpreter
    private var positional: [Value]
    private var labelled: [(String, Value)]
    private var nextPositional = 0

    init(function: String, interpreter: Interpreter, positional: [Value], labelled: [(String, Value)]) {
        self.function = function
        self.interpreter = interpreter
        self.positional = positional
        self.labelled = labelled
    }

    /// The next positional argument, or the labelled one called `name`; nil when absent.
    public mutating func optional(_ name: String) -> Value? {
        if let i = labelled.firstIndex(where: { $0.0 == name }) { return labelled.remove(at: i).1 }
        guard nextPositional < positional.count else { return nil }
        defer { nextPositional += 1 }
        return positional[nextPositional]
    }

    /// Only the labelled argument `name` (for options that are never positional).
    public mutating func option(_ name: String) -> Value? {
        guard let i = labelled.firstIndex(where: { $0.0 == name }) else { return nil }
        return labelled.remove(at: i).1
    }

    /// A required argument.
    public mutating func required(_ name: String) throws -> Value {
        guard let v = optional(name) else { throw RuntimeError("\(function): missing argument '\(name)'") }
        return v
    }

    /// Every remaining positional argument.
    public mutating func rest() -> [Value] {
        defer { nextPositional = positional.count }
        return Array(positional[nextPositional...])
    }

    /// Throws when arguments were given that the builtin did not read.
    public func finish() throws {
        if nextPositional < positional.count {
            throw RuntimeError("\(function) takes at most \(nextPositional) positional argument(s); got \(positional.count)")
        }
        if let (name, _) = labelled.first {
            throw RuntimeError("\(function) has no argument '\(name)'")
        }
    }

    /// An error naming this argument, what was expected and what it got: the type, and the value
    /// itself when it is a number, boolean or short string (`got int -5`, `got string ""`).
    public func typeError(_ name: String, expected: String, got: Value) -> RuntimeError {
        let short: Bool
        switch got {
        case .int, .number, .bool: short = true
        case .string(let s): short = s.count <= 40
        default: short = false
        }
        let shown = short ? " " + Interpreter.Display.inline(got) : ""
        return RuntimeError("\(function): argument '\(name)' must be \(expected); got \(got.typeName)\(shown)")
    }
}

/// A run-time error; the interpreter adds the location and call trace.
public struct RuntimeError: Error, CustomStringConvertible {
    /// What went wrong, naming the valid range or the expected type.
    public var message: String
    /// Where, once known.
    public var location: SourceLocation?

    /// An error with `message`.
    public init(_ message: String, at location: SourceLocation? = nil) {
        self.message = message
        self.location = location
    }

    public var description: String { message }
}
