/// A recursive-descent parser implementing `grammar/qd.ebnf`.
///
/// It never stops at the first error: after one it records a ``Diagnostic`` and skips to the next
/// statement boundary (a newline, `;` or a closing `}` at the same depth), so one run reports every
/// syntax error in a file. Nesting deeper than ``maxDepth`` is an error, not a stack overflow.
public struct Parser {
    /// The deepest expression or block nesting accepted.
    public static let maxDepth = 200

    private let file: String
    private var tokens: [Token]
    private var position = 0
    private var depth = 0
    /// Every diagnostic found, lexical and syntactic, in source order.
    public private(set) var diagnostics: [Diagnostic] = []

    private struct Failure: Error {}

    /// A parser over `source`.
    public init(_ source: SourceFile) {
        var lexer = Lexer(source)
        tokens = lexer.tokenize()
        diagnostics = lexer.errors
        file = source.name
    }

    /// Parses a whole program. Throws a ``DiagnosticList`` holding every error when there is any.
    public static func parse(_ source: SourceFile) throws -> [Stmt] {
        var p = Parser(source)
        let program = p.parseProgram()
        if !p.diagnostics.isEmpty {
            throw DiagnosticList(diagnostics: p.diagnostics.sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) })
        }
        return program
    }

    /// The statements of the program; errors are collected in ``diagnostics``.
    public mutating func parseProgram() -> [Stmt] {
        var statements: [Stmt] = []
        skipSeparators()
        while !check(.endOfFile) {
            if check(.symbol(.rightBrace)) {
                error("unmatched '}' with no open block", at: current)
                advance()
            } else if let s = statementRecovering() {
                statements.append(s)
            }
            skipSeparators()
        }
        return statements
    }

    // MARK: token helpers

    private var current: Token { tokens[position] }
    private func peekKind(_ k: Int = 1) -> TokenKind { tokens[min(position + k, tokens.count - 1)].kind }
    private func check(_ kind: TokenKind) -> Bool { current.kind == kind }
    private func check(_ symbol: Symbol) -> Bool { current.kind == .symbol(symbol) }
    private func check(_ keyword: Keyword) -> Bool { current.kind == .keyword(keyword) }

    @discardableResult
    private mutating func advance() -> Token {
        let t = current
        if position < tokens.count - 1 { position += 1 }
        return t
    }

    private mutating func match(_ symbol: Symbol) -> Bool {
        guard check(symbol) else { return false }
        advance()
        return true
    }

    private mutating func match(_ keyword: Keyword) -> Bool {
        guard check(keyword) else { return false }
        advance()
        return true
    }

    private mutating func error(_ message: String, at token: Token) {
        diagnostics.append(Diagnostic(file: file, location: token.location, message: message))
    }

    private mutating func expect(_ symbol: Symbol, _ context: String) throws {
        guard match(symbol) else {
            error("expected '\(symbol.rawValue)' \(context), found \(current.spelling)", at: current)
            throw Failure()
        }
    }

    private mutating func identifier(_ context: String) throws -> String {
        if case .identifier(let s) = current.kind { advance(); return s }
        if case .keyword(let k) = current.kind {
            error("'\(k.rawValue)' is a keyword and cannot be used as a name \(context)", at: current)
        } else {
            error("expected a name \(context), found \(current.spelling)", at: current)
        }
        throw Failure()
    }

    private mutating func skipNewlines() { while check(.newline) { advance() } }
    private mutating func skipSeparators() { while check(.newline) || check(.symbol(.semicolon)) { advance() } }

    private mutating func nested<T>(_ body: (inout Parser) throws -> T) throws -> T {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Parser.maxDepth else {
            error("nesting is too deep: at most \(Parser.maxDepth) levels of brackets, blocks and operators", at: current)
            throw Failure()
        }
        return try body(&self)
    }

    /// Skips to the next statement boundary at the current block depth.
    private mutating func synchronize() {
        var braces = 0
        while !check(.endOfFile) {
            switch current.kind {
            case .newline where braces == 0, .symbol(.semicolon) where braces == 0: return
            case .symbol(.leftBrace): braces += 1
            case .symbol(.rightBrace):
                if braces == 0 { return }
                braces -= 1
            default: break
            }
            advance()
        }
    }

    // MARK: statements

    private mutating func statementRecovering() -> Stmt? {
        do {
            let s = try statement()
            if !(check(.newline) || check(.symbol(.semicolon)) || check(.symbol(.rightBrace)) || check(.endOfFile)) {
                error("expected the end of the statement (a new line or ';'), found \(current.spelling)", at: current)
                throw Failure()
            }
            return s
        } catch {
            synchronize()
            return nil
        }
    }

    private mutating func statement() throws -> Stmt {
        let start = current.location
        switch current.kind {
        case .keyword(.let):
            advance()
            let name = try identifier("after 'let'")
            try expect(.assign, "after the name in 'let \(name)'")
            skipNewlines()
            return Stmt(.let(name, try expression()), at: start)
        case .keyword(.fn): return try functionDeclaration()
        case .keyword(.for):
            advance()
            let variable = try identifier("after 'for'")
            guard match(.in) else {
                error("expected 'in' after 'for \(variable)', found \(current.spelling)", at: current)
                throw Failure()
            }
            let sequence = try expression()
            return Stmt(.for(variable: variable, sequence: sequence, body: try block("the 'for' body")), at: start)
        case .keyword(.if): return try ifStatement()
        case .keyword(.return):
            advance()
            if check(.newline) || check(.symbol(.semicolon)) || check(.symbol(.rightBrace)) || check(.endOfFile) {
                return Stmt(.return(nil), at: start)
            }
            return Stmt(.return(try expression()), at: start)
        case .keyword(.seed):
            advance()
            return Stmt(.seed(try expression()), at: start)
        case .keyword(.import):
            advance()
            guard case .string(let path) = current.kind else {
                error("expected a file name in quotes after 'import', found \(current.spelling)", at: current)
                throw Failure()
            }
            advance()
            return Stmt(.import(path), at: start)
        case .keyword(.time):
            advance()
            return Stmt(.time(try expression()), at: start)
        case .keyword(.param):
            advance()
            let name = try identifier("after 'param'")
            let shape = try optionalShape()
            var initializer: Expr?
            if match(.assign) { skipNewlines(); initializer = try expression() }
            return Stmt(.param(name: name, shape: shape, initializer: initializer), at: start)
        case .keyword(.input):
            advance()
            let name = try identifier("after 'input'")
            return Stmt(.input(name: name, shape: try optionalShape()), at: start)
        case .identifier:
            if let gate = try gateStatement() { return Stmt(.gate(gate), at: start) }
        default: break
        }
        let e = try expression()
        if match(.assign) {
            skipNewlines()
            switch e.kind {
            case .name, .index: return Stmt(.assign(e, try expression()), at: start)
            default:
                error("only a name or an indexed name can be assigned to", at: tokens[position - 1])
                throw Failure()
            }
        }
        let display = !check(.symbol(.semicolon))
        return Stmt(.expression(e, display: display), at: start)
    }

    private mutating func optionalShape() throws -> [Expr] {
        guard match(.leftBracket) else { return [] }
        var dims = [try expression()]
        while match(.comma) { dims.append(try expression()) }
        try expect(.rightBracket, "to close the shape")
        return dims
    }

    private mutating func functionDeclaration() throws -> Stmt {
        let start = advance().location
        let name = try identifier("after 'fn'")
        try expect(.leftParen, "after the function name '\(name)'")
        var parameters: [FunctionParameter] = []
        if !check(.symbol(.rightParen)) {
            repeat {
                if check(.symbol(.rightParen)) { break }
                let p = try identifier("for a parameter of '\(name)'")
                if parameters.contains(where: { $0.name == p }) {
                    error("parameter '\(p)' appears twice in '\(name)'", at: tokens[position - 1])
                }
                var d: Expr?
                if match(.assign) { d = try expression() }
                else if parameters.last?.defaultValue != nil {
                    error("parameter '\(p)' needs a default value because the one before it has one", at: tokens[position - 1])
                }
                parameters.append(FunctionParameter(p, default: d))
            } while match(.comma)
        }
        try expect(.rightParen, "to close the parameters of '\(name)'")
        return Stmt(.function(name: name, parameters: parameters, body: try block("the body of '\(name)'")), at: start)
    }

    private mutating func ifStatement() throws -> Stmt {
        let start = advance().location
        let condition = try expression()
        let then = try block("the 'if' body")
        guard check(.else) else { return Stmt(.if(condition: condition, then: then, else: nil), at: start) }
        advance()
        if check(.if) { return Stmt(.if(condition: condition, then: then, else: [try ifStatement()]), at: start) }
        return Stmt(.if(condition: condition, then: then, else: try block("the 'else' body")), at: start)
    }

    /// `{ statements }`; errors inside are recovered per statement.
    private mutating func block(_ what: String) throws -> [Stmt] {
        try expect(.leftBrace, "to open \(what)")
        return try nested { p in
            var body: [Stmt] = []
            p.skipSeparators()
            while !p.check(.symbol(.rightBrace)) {
                if p.check(.endOfFile) {
                    p.error("expected '}' to close \(what), found end of file", at: p.current)
                    throw Failure()
                }
                if let s = p.statementRecovering() { body.append(s) }
                p.skipSeparators()
            }
            p.advance()
            return body
        }
    }

    /// A gate statement when the tokens have its shape (modifiers, or a name followed on the same
    /// line by operands); nil otherwise, with the position unchanged.
    private mutating func gateStatement() throws -> GateStatement? {
        let saved = position
        let savedDiagnostics = diagnostics.count
        var modifiers: [GateStatement.Modifier] = []
        while case .identifier(let m) = current.kind, m == "ctrl" || m == "inv" {
            let mark = position
            advance()
            var count: Expr?
            if m == "ctrl", check(.symbol(.leftParen)) {
                advance()
                count = try? expression()
                if count == nil || !match(.rightParen) { position = mark; break }
            }
            guard match(.at) else { position = mark; break }
            modifiers.append(m == "ctrl" ? .control(count) : .inverse)
        }
        diagnostics.removeSubrange(savedDiagnostics...)
        guard case .identifier(let name) = current.kind else {
            if !modifiers.isEmpty {
                error("expected a gate name after the modifier '@', found \(current.spelling)", at: current)
                throw Failure()
            }
            return nil
        }
        advance()
        var arguments: [Argument]?
        if check(.symbol(.leftParen)) && !current.startsLine {
            advance()
            do {
                arguments = try argumentList(closing: .rightParen, context: "to close the arguments of '\(name)'")
            } catch {
                guard modifiers.isEmpty else { throw error }
                // Not parseable as a gate's arguments: let the expression parser report it.
                diagnostics.removeSubrange(savedDiagnostics...)
                position = saved
                return nil
            }
        }
        if check(.on) && !modifiers.isEmpty {
            advance()
            return GateStatement(modifiers: modifiers, name: name, arguments: arguments, wires: try expression())
        }
        let startsOperand: Bool
        switch current.kind {
        case .integer, .identifier: startsOperand = !current.startsLine
        default: startsOperand = false
        }
        guard startsOperand else {
            if modifiers.isEmpty {
                diagnostics.removeSubrange(savedDiagnostics...)
                position = saved
                return nil
            }
            error("expected the operand wires of '\(name)' after the modifiers, found \(current.spelling)", at: current)
            throw Failure()
        }
        var operands = [try expression()]
        while match(.comma) { skipNewlines(); operands.append(try expression()) }
        return GateStatement(modifiers: modifiers, name: name, arguments: arguments, operands: operands)
    }

    // MARK: expressions

    /// One expression (the entry point of the precedence ladder).
    public mutating func expression() throws -> Expr {
        try nested { p in try p.disjunction() }
    }

    private mutating func binaryLevel(_ operators: [TokenKind: BinaryOperator], next: (inout Parser) throws -> Expr) throws -> Expr {
        var left = try next(&self)
        while let op = operators[current.kind] {
            let loc = left.location
            advance()
            skipNewlines()
            let right = try nested { p in try next(&p) }
            left = Expr(.binary(op, left, right), at: loc)
        }
        return left
    }

    private mutating func disjunction() throws -> Expr {
        try binaryLevel([.keyword(.or): .or]) { p in try p.conjunction() }
    }

    private mutating func conjunction() throws -> Expr {
        try binaryLevel([.keyword(.and): .and]) { p in try p.negation() }
    }

    private mutating func negation() throws -> Expr {
        if check(.not) {
            let loc = advance().location
            return Expr(.unary(.not, try nested { p in try p.negation() }), at: loc)
        }
        return try comparison()
    }

    private static let comparisons: [TokenKind: BinaryOperator] = [
        .symbol(.equal): .equal, .symbol(.notEqual): .notEqual, .symbol(.less): .less,
        .symbol(.lessEqual): .lessEqual, .symbol(.greater): .greater, .symbol(.greaterEqual): .greaterEqual,
    ]

    private mutating func comparison() throws -> Expr {
        let left = try placement()
        guard let op = Parser.comparisons[current.kind] else { return left }
        advance()
        skipNewlines()
        let right = try placement()
        if Parser.comparisons[current.kind] != nil {
            error("comparisons do not chain: write 'a < b and b < c'", at: current)
            throw Failure()
        }
        return Expr(.binary(op, left, right), at: left.location)
    }

    private mutating func placement() throws -> Expr {
        let value = try range()
        guard match(.on) else { return value }
        let each = match(.each)
        return Expr(.placement(value, wires: try range(), each: each), at: value.location)
    }

    private mutating func range() throws -> Expr {
        let lo = try additive()
        if check(.symbol(.halfOpenRange)) || check(.symbol(.closedRange)) {
            let closed = advance().kind == .symbol(.closedRange)
            skipNewlines()
            return Expr(.range(lo, try additive(), closed: closed), at: lo.location)
        }
        return lo
    }

    private mutating func additive() throws -> Expr {
        try binaryLevel([.symbol(.plus): .add, .symbol(.minus): .subtract]) { p in try p.term() }
    }

    private mutating func term() throws -> Expr {
        try binaryLevel([.symbol(.star): .multiply, .symbol(.slash): .divide, .symbol(.percent): .remainder]) { p in try p.unary() }
    }

    private mutating func unary() throws -> Expr {
        if check(.symbol(.minus)) || check(.symbol(.plus)) {
            let t = advance()
            let op: UnaryOperator = t.kind == .symbol(.minus) ? .negate : .plus
            return Expr(.unary(op, try nested { p in try p.unary() }), at: t.location)
        }
        return try power()
    }

    private mutating func power() throws -> Expr {
        let base = try postfix()
        guard match(.caret) else { return base }
        skipNewlines()
        return Expr(.binary(.power, base, try nested { p in try p.unary() }), at: base.location)
    }

    private mutating func postfix() throws -> Expr {
        var e = try primary()
        while true {
            if check(.symbol(.leftParen)) && !current.startsLine {
                advance()
                let args = try argumentList(closing: .rightParen, context: "to close the call")
                e = Expr(.call(e, args), at: e.location)
            } else if check(.symbol(.leftBracket)) && !current.startsLine {
                advance()
                var indices = [try expression()]
                while match(.comma) { indices.append(try expression()) }
                try expect(.rightBracket, "to close the index")
                e = Expr(.index(e, indices), at: e.location)
            } else if check(.symbol(.dot)) {
                advance()
                guard let name = labelName(current.kind) else {
                    error("expected a member name after '.', found \(current.spelling)", at: current)
                    throw Failure()
                }
                advance()
                e = Expr(.member(e, name), at: e.location)
            } else {
                return e
            }
        }
    }

    /// Argument labels and member names may be keywords (`seed: 1`, `d.input`).
    private func labelName(_ kind: TokenKind) -> String? {
        switch kind {
        case .identifier(let s): return s
        case .keyword(let k): return k.rawValue
        default: return nil
        }
    }

    private mutating func argumentList(closing: Symbol, context: String) throws -> [Argument] {
        var args: [Argument] = []
        var labelled = false
        while !check(.symbol(closing)) {
            var label: String?
            if let s = labelName(current.kind), peekKind() == .symbol(.colon) {
                label = s
                advance(); advance()
                if args.contains(where: { $0.label == s }) { error("argument '\(s)' is given twice", at: tokens[position - 2]) }
                labelled = true
            } else if labelled {
                error("a positional argument cannot follow a labelled one", at: current)
            }
            args.append(Argument(label, try expression()))
            if !match(.comma) { break }
        }
        try expect(closing, context)
        return args
    }

    private mutating func primary() throws -> Expr {
        let t = current
        let loc = t.location
        switch t.kind {
        case .integer(let v): advance(); return Expr(.integer(v), at: loc)
        case .number(let v): advance(); return Expr(.number(v), at: loc)
        case .imaginary(let v): advance(); return Expr(.imaginary(v), at: loc)
        case .string(let s): advance(); return Expr(.string(s), at: loc)
        case .identifier(let s): advance(); return Expr(.name(s), at: loc)
        case .keyword(.true): advance(); return Expr(.bool(true), at: loc)
        case .keyword(.false): advance(); return Expr(.bool(false), at: loc)
        case .keyword(.nil): advance(); return Expr(.nil, at: loc)
        case .symbol(.leftParen):
            advance()
            let e = try expression()
            try expect(.rightParen, "to close the parenthesis")
            return Expr(e.kind, at: loc)
        case .symbol(.leftBracket):
            advance()
            var items: [Expr] = []
            while !check(.symbol(.rightBracket)) {
                items.append(try expression())
                if !match(.comma) { break }
            }
            try expect(.rightBracket, "to close the list")
            return Expr(.list(items), at: loc)
        case .keyword(.circuit):
            advance()
            try expect(.leftParen, "after 'circuit' (write circuit(qubits) { ... })")
            let qubits = try expression()
            try expect(.rightParen, "after the qubit count")
            return Expr(.circuit(qubits: qubits, body: try block("the circuit")), at: loc)
        case .keyword(let k):
            error("'\(k.rawValue)' cannot start an expression", at: t)
        case .symbol(let s):
            error("expected an expression, found '\(s.rawValue)'", at: t)
        case .newline, .endOfFile:
            error("expected an expression, found \(t.spelling)", at: t)
        }
        throw Failure()
    }
}

extension TokenKind: Hashable {
    /// Hashes keywords and symbols by spelling (the parser keys its operator tables on them).
    public func hash(into h: inout Hasher) {
        switch self {
        case .keyword(let k): h.combine(0); h.combine(k.rawValue)
        case .symbol(let s): h.combine(1); h.combine(s.rawValue)
        default: h.combine(2)
        }
    }
}
