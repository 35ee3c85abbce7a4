/// Turns source text into tokens.
///
/// - `#` starts a comment to the end of the line (so `# expect:` and `# %%` lines are comments).
/// - Newlines end statements, except inside `(...)` and `[...]`, where they are skipped. The parser
///   also skips newlines after a binary operator, so a line ending with an operator continues.
/// - Numbers: `42`, `3.5`, `1e-3`, `2.5E+4`; a trailing `im` makes an imaginary literal (`2im`).
/// - Strings: double quotes with the escapes `\n \t \" \\`.
public struct Lexer {
    /// All lexical errors found; lexing continues after each.
    public private(set) var errors: [Diagnostic] = []
    private let file: String
    private let chars: [Character]
    private var index = 0
    private var line = 1
    private var column = 1
    private var nesting: [Character] = []
    private var lastWasNewline = true

    /// A lexer over `source`.
    public init(_ source: SourceFile) {
        file = source.name
        chars = Array(source.text)
    }

    /// The tokens of the whole text, ending with `.endOfFile`.
    public mutating func tokenize() -> [Token] {
        var tokens: [Token] = []
        while let t = next() {
            if case .newline = t.kind, tokens.last.map({ $0.kind == .newline }) ?? true { continue }
            tokens.append(t)
        }
        tokens.append(Token(kind: .endOfFile, location: SourceLocation(line: line, column: column), startsLine: true))
        return tokens
    }

    private var peek: Character? { index < chars.count ? chars[index] : nil }
    private func peek(_ k: Int) -> Character? { index + k < chars.count ? chars[index + k] : nil }

    private mutating func advance() -> Character {
        let c = chars[index]
        index += 1
        if c == "\n" { line += 1; column = 1 } else { column += 1 }
        return c
    }

    private mutating func error(_ message: String, at loc: SourceLocation) {
        errors.append(Diagnostic(file: file, location: loc, message: message))
    }

    private mutating func next() -> Token? {
        while let c = peek {
            if c == " " || c == "\t" || c == "\r" { _ = advance(); continue }
            if c == "#" { while let d = peek, d != "\n" { _ = advance() }; continue }
            break
        }
        guard let c = peek else { return nil }
        let loc = SourceLocation(line: line, column: column)
        let startsLine = lastWasNewline
        lastWasNewline = false
        func make(_ k: TokenKind) -> Token { Token(kind: k, location: loc, startsLine: startsLine) }
        if c == "\n" {
            _ = advance()
            lastWasNewline = true
            if !nesting.isEmpty && nesting.last != "{" {
                // An unclosed '(' or '[' must not swallow the rest of the file: a line starting
                // with a statement keyword ends the bracket (the parser reports it unclosed).
                guard lineStartsWithStatementKeyword() else { return next() }
                while let last = nesting.last, last != "{" { nesting.removeLast() }
            }
            return make(.newline)
        }
        if c.isNumber && c.isASCII { return make(number()) }
        if c == "." && (peek(1).map { $0.isNumber && $0.isASCII } ?? false) { return make(number()) }
        if c.isLetter || c == "_" {
            var s = ""
            while let d = peek, d.isLetter || d.isNumber || d == "_" { s.append(advance()) }
            if let k = Keyword(rawValue: s) { return make(.keyword(k)) }
            return make(.identifier(s))
        }
        if c == "\"" { return make(string(at: loc)) }
        for sym in Lexer.symbolsLongestFirst where matches(sym.rawValue) {
            for _ in sym.rawValue { _ = advance() }
            switch sym {
            case .leftParen, .leftBracket, .leftBrace: nesting.append(Character(sym.rawValue))
            case .rightParen, .rightBracket, .rightBrace: if !nesting.isEmpty { nesting.removeLast() }
            default: break
            }
            return make(.symbol(sym))
        }
        _ = advance()
        let shown = c.isASCII && !c.isWhitespace && c.asciiValue.map { $0 >= 32 && $0 < 127 } == true
            ? "'\(c)'" : "U+" + String(c.unicodeScalars.first!.value, radix: 16, uppercase: true)
        error("unexpected character \(shown)", at: loc)
        return next()
    }

    private static let statementKeywords: Set<String> = ["let", "fn", "for", "if", "return", "seed", "import", "param", "input"]

    private func lineStartsWithStatementKeyword() -> Bool {
        var k = index
        while k < chars.count, chars[k] == " " || chars[k] == "\t" { k += 1 }
        var word = ""
        while k < chars.count, chars[k].isLetter { word.append(chars[k]); k += 1 }
        return Lexer.statementKeywords.contains(word) && (k == chars.count || chars[k] == " ")
    }

    private static let symbolsLongestFirst = Symbol.allCases.sorted { $0.rawValue.count > $1.rawValue.count }

    private func matches(_ s: String) -> Bool {
        var k = 0
        for ch in s {
            guard peek(k) == ch else { return false }
            k += 1
        }
        return true
    }

    private mutating func number() -> TokenKind {
        let loc = SourceLocation(line: line, column: column)
        var s = ""
        var isInteger = true
        while let d = peek, d.isNumber && d.isASCII { s.append(advance()) }
        if peek == ".", let d = peek(1), d.isNumber && d.isASCII {
            isInteger = false
            s.append(advance())
            while let d = peek, d.isNumber && d.isASCII { s.append(advance()) }
        }
        if let e = peek, e == "e" || e == "E" {
            let sign = peek(1)
            let digitAt = (sign == "+" || sign == "-") ? 2 : 1
            if let d = peek(digitAt), d.isNumber && d.isASCII {
                isInteger = false
                for _ in 0..<digitAt { s.append(advance()) }
                while let d = peek, d.isNumber && d.isASCII { s.append(advance()) }
            }
        }
        if peek == "i" && peek(1) == "m" && !(peek(2).map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false) {
            _ = advance(); _ = advance()
            return .imaginary(Double(s) ?? .nan)
        }
        if isInteger {
            if let v = Int(s) { return .integer(v) }
            error("integer \(s) is too large; integers are 64-bit (at most \(Int.max))", at: loc)
            return .integer(0)
        }
        guard let v = Double(s), v.isFinite else {
            error("number \(s) is out of range for a 64-bit float", at: loc)
            return .number(0)
        }
        return .number(v)
    }

    private mutating func string(at loc: SourceLocation) -> TokenKind {
        _ = advance()
        var s = ""
        while let c = peek {
            if c == "\n" { break }
            _ = advance()
            if c == "\"" { return .string(s) }
            if c == "\\" {
                guard let e = peek, e != "\n" else { break }
                _ = advance()
                switch e {
                case "n": s.append("\n")
                case "t": s.append("\t")
                case "\"": s.append("\"")
                case "\\": s.append("\\")
                default: error("unknown escape '\\\(e)' in string; valid escapes are \\n \\t \\\" \\\\", at: loc)
                }
                continue
            }
            s.append(c)
        }
        error("unterminated string: add a closing '\"' on the same line", at: loc)
        return .string(s)
    }
}
