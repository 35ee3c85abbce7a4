/// The syntax tree of a `.qd` program. Every node carries its source location, but locations are
/// not part of equality: parser tests write the expected trees without positions.

/// An expression node.
public struct Expr: Equatable, Sendable {
    /// What the expression is.
    public indirect enum Kind: Equatable, Sendable {
        case integer(Int)
        case number(Double)
        case imaginary(Double)
        case string(String)
        case bool(Bool)
        case `nil`
        case name(String)
        case list([Expr])
        case unary(UnaryOperator, Expr)
        case binary(BinaryOperator, Expr, Expr)
        /// `lo..<hi` (half-open) or `lo...hi` (closed).
        case range(Expr, Expr, closed: Bool)
        /// `value on wires` or `value on each wires`: places a gate, template, sub-circuit or
        /// observable on wires.
        case placement(Expr, wires: Expr, each: Bool)
        case call(Expr, [Argument])
        case index(Expr, [Expr])
        case member(Expr, String)
        /// `circuit(qubits) { statements }`.
        case circuit(qubits: Expr, body: [Stmt])
    }

    /// The node.
    public var kind: Kind
    /// Where it starts.
    public var location: SourceLocation

    /// A node at `location` (default: the start of the file, for hand-written test trees).
    public init(_ kind: Kind, at location: SourceLocation = .start) {
        self.kind = kind
        self.location = location
    }

    public static func == (a: Expr, b: Expr) -> Bool { a.kind == b.kind }
}

/// A call argument, optionally labelled (`shots: 1000`).
public struct Argument: Equatable, Sendable {
    /// The keyword, or nil for a positional argument.
    public var label: String?
    /// The value.
    public var value: Expr

    /// An argument.
    public init(_ label: String? = nil, _ value: Expr) {
        self.label = label
        self.value = value
    }
}

/// Prefix operators.
public enum UnaryOperator: String, Equatable, Sendable { case negate = "-", plus = "+", not = "not" }

/// Infix operators, loosest first: `or`, `and`, comparisons, `+ -`, `* / %`, `^`.
public enum BinaryOperator: String, Equatable, Sendable {
    case or, and
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%", power = "^"
}

/// A statement node.
public struct Stmt: Equatable, Sendable {
    /// What the statement is.
    public indirect enum Kind: Equatable, Sendable {
        /// An expression; its value is displayed unless the statement ends with `;`.
        case expression(Expr, display: Bool)
        case `let`(String, Expr)
        /// `target = value`, where the target is a name or an indexed name.
        case assign(Expr, Expr)
        case function(name: String, parameters: [FunctionParameter], body: [Stmt])
        case `for`(variable: String, sequence: Expr, body: [Stmt])
        case `if`(condition: Expr, then: [Stmt], else: [Stmt]?)
        case `return`(Expr?)
        case seed(Expr)
        case `import`(String)
        case time(Expr)
        /// `param name[shape] = initialiser` inside a circuit: trainable parameters.
        case param(name: String, shape: [Expr], initializer: Expr?)
        /// `input name[shape]` inside a circuit: per-sample input features.
        case input(name: String, shape: [Expr])
        /// A gate statement, `ctrl @ inv @ name(arguments) operands`.
        case gate(GateStatement)
    }

    /// The node.
    public var kind: Kind
    /// Where it starts.
    public var location: SourceLocation

    /// A node at `location` (default: the start of the file).
    public init(_ kind: Kind, at location: SourceLocation = .start) {
        self.kind = kind
        self.location = location
    }

    public static func == (a: Stmt, b: Stmt) -> Bool { a.kind == b.kind }
}

/// A parameter of a user function, with an optional default value.
public struct FunctionParameter: Equatable, Sendable {
    /// Its name.
    public var name: String
    /// The default, evaluated at call time when the argument is omitted.
    public var defaultValue: Expr?

    /// A parameter.
    public init(_ name: String, default defaultValue: Expr? = nil) {
        self.name = name
        self.defaultValue = defaultValue
    }
}

/// A gate application in OpenQASM 3's call shape: `ctrl(2) @ inv @ rx(theta) 0, 1, 2`.
public struct GateStatement: Equatable, Sendable {
    /// A gate modifier.
    public enum Modifier: Equatable, Sendable {
        /// `ctrl @` or `ctrl(n) @`: the first n operands are controls.
        case control(Expr?)
        /// `inv @`: the adjoint.
        case inverse
    }

    /// Modifiers, outermost first.
    public var modifiers: [Modifier]
    /// The gate, template, circuit or function name.
    public var name: String
    /// The parenthesised arguments, or nil when there are no parentheses.
    public var arguments: [Argument]?
    /// The operand wires, comma-separated (`cx 0, 1`).
    public var operands: [Expr]
    /// The wires after `on`, when that form is used (`amplitude(x) on 0..<6`).
    public var wires: Expr?

    /// A gate statement.
    public init(modifiers: [Modifier] = [], name: String, arguments: [Argument]? = nil, operands: [Expr] = [], wires: Expr? = nil) {
        self.modifiers = modifiers
        self.name = name
        self.arguments = arguments
        self.operands = operands
        self.wires = wires
    }
}
