/// Whether typed input is complete or needs more lines: the REPL keeps reading, with a
/// continuation prompt, while a `(`, `[` or `{` is open or the last token is a binary operator,
/// `=`, `,` or `@`.
public enum Completeness {
    /// True when `text` cannot end here.
    public static func needsMoreInput(_ text: String) -> Bool {
        var lexer = Lexer(SourceFile(name: "<input>", text: text))
        let tokens = lexer.tokenize().filter { $0.kind != .newline && $0.kind != .endOfFile }
        var depth = 0
        for t in tokens {
            switch t.kind {
            case .symbol(.leftParen), .symbol(.leftBracket), .symbol(.leftBrace): depth += 1
            case .symbol(.rightParen), .symbol(.rightBracket), .symbol(.rightBrace): depth -= 1
            default: break
            }
        }
        if depth > 0 { return true }
        guard let last = tokens.last else { return false }
        switch last.kind {
        case .symbol(let s):
            return [.plus, .minus, .star, .slash, .percent, .caret, .assign, .comma, .at, .equal, .notEqual, .less, .lessEqual,
                    .greater, .greaterEqual, .halfOpenRange, .closedRange, .dot].contains(s)
        case .keyword(let k): return [.and, .or, .not, .on, .each].contains(k)
        default: return false
        }
    }
}
