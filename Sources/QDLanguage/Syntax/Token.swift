/// The kinds of token the lexer produces; see `grammar/qd.ebnf`.
public enum TokenKind: Equatable, Sendable {
    case integer(Int)
    case number(Double)
    /// An imaginary literal such as `2im` or `0.5im`.
    case imaginary(Double)
    case string(String)
    case identifier(String)
    case keyword(Keyword)
    case symbol(Symbol)
    /// The end of a statement (only emitted outside `(...)` and `[...]`).
    case newline
    case endOfFile
}

/// Reserved words. Gate names, `ctrl` and `inv` are not reserved.
public enum Keyword: String, Sendable, CaseIterable {
    case `let`, fn, `return`, `for`, `in`, `if`, `else`, `true`, `false`, `nil`
    case and, or, not, circuit, param, input, on, each, seed, `import`, time
}

/// Punctuation and operators.
public enum Symbol: String, Sendable, CaseIterable {
    case leftParen = "(", rightParen = ")", leftBracket = "[", rightBracket = "]"
    case leftBrace = "{", rightBrace = "}", comma = ",", colon = ":", semicolon = ";", dot = "."
    case plus = "+", minus = "-", star = "*", slash = "/", percent = "%", caret = "^", at = "@"
    case assign = "=", equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case halfOpenRange = "..<", closedRange = "..."
}

/// A token and where it starts.
public struct Token: Equatable, Sendable {
    /// What it is.
    public var kind: TokenKind
    /// Its first character.
    public var location: SourceLocation
    /// Whether a newline (or the start of the file) comes directly before it.
    public var startsLine: Bool

    /// A short human description for "expected ..., found ..." messages.
    public var spelling: String {
        switch kind {
        case .integer(let v): return "'\(v)'"
        case .number(let v): return "'\(v)'"
        case .imaginary(let v): return "'\(v)im'"
        case .string(let s): return "string \"\(s)\""
        case .identifier(let s): return "'\(s)'"
        case .keyword(let k): return "'\(k.rawValue)'"
        case .symbol(let s): return "'\(s.rawValue)'"
        case .newline: return "end of line"
        case .endOfFile: return "end of file"
        }
    }
}
