import XCTest
import QDLanguage

/// `grammar/qd.ebnf` is the contract: every keyword and symbol the lexer knows appears in it as a
/// terminal, every rule it defines is used, and the parser accepts the valid corpus and rejects
/// the invalid one.
final class GrammarTests: XCTestCase {
    var grammar: String {
        (try? String(contentsOf: ScriptRunner.root.appendingPathComponent("grammar/qd.ebnf"), encoding: .utf8)) ?? ""
    }

    /// The grammar with comments removed.
    var rules: String {
        var out = "", depth = 0
        var chars = Array(grammar)[...]
        while let c = chars.first {
            if chars.starts(with: "(*") { depth += 1; chars = chars.dropFirst(2); continue }
            if chars.starts(with: "*)") && depth > 0 { depth -= 1; chars = chars.dropFirst(2); continue }
            if depth == 0 { out.append(c) }
            chars = chars.dropFirst()
        }
        return out
    }

    func testEveryKeywordAndSymbolIsATerminalOfTheGrammar() {
        XCTAssertFalse(grammar.isEmpty, "grammar/qd.ebnf is missing")
        for k in Keyword.allCases {
            XCTAssertTrue(rules.contains("\"\(k.rawValue)\""), "keyword '\(k.rawValue)' is not a terminal in qd.ebnf")
        }
        for s in Symbol.allCases {
            XCTAssertTrue(rules.contains("\"\(s.rawValue)\"") || rules.contains("'\(s.rawValue)'"), "symbol '\(s.rawValue)' is not a terminal in qd.ebnf")
        }
    }

    func testEveryRuleIsDefinedOnceAndUsed() {
        let definitions = rules.split(separator: ";").compactMap { chunk -> String? in
            guard let eq = chunk.firstIndex(of: "=") else { return nil }
            return chunk[..<eq].trimmingCharacters(in: .whitespacesAndNewlines)
        }.filter { !$0.isEmpty }
        XCTAssertEqual(Set(definitions).count, definitions.count, "a rule is defined twice")
        let body = rules
        for name in definitions where name != "program" {
            let uses = body.components(separatedBy: name).count - 1
            XCTAssertGreaterThan(uses, 1, "rule \(name) is defined but never used")
        }
    }

    /// Snippets the grammar allows; each must parse.
    static let valid = [
        "let x = 1", "x = 2", "let m = [[1, 0], [0, -1]]", "1 + 2 * 3 ^ 2", "-x", "not true or false and true",
        "a == b", "0..<n", "1...3", "f(1, k: 2)", "d.images[0, 1..<3]", "3.5e-2", "2im", "\"s\\n\"", "nil", "f(a,)",
        "fn f(a, b = 2) { return a + b }", "fn g() { return }", "for i in 0..<3 { i }", "if a { 1 } else if b { 2 } else { 3 }",
        "seed 7", "import \"other.qd\"", "time f(1)", "x;", "let o = 0.5 * X0 + Z0 * Z1",
        "circuit(2) { h 0; cx 0, 1 }", "circuit(1) { param t = 0.1; rx(t) 0 }", "circuit(3) { param w[2, 3, 3] = xavier\nstrongly_entangling(w) on 0..<3 }",
        "circuit(2) { input x[4]\namplitude(x) on 0..<2 }", "circuit(3) { ctrl(2) @ x 0, 1, 2 }", "circuit(2) { inv @ ctrl @ s 0, 1 }",
        "circuit(2) { ctrl @ ry(0.1) on [0, 1] }", "trainable_hermitian() on each 0..<6", "hermitian(m) on 1",
        "f(\n1,\n2\n)", "1 +\n2", "d.step(10)", "sample(c, shots: 100, seed: 1)", "x[0] = 3", "# just a comment",
    ]

    /// Snippets the grammar forbids; each must fail with a diagnostic.
    static let invalid = [
        "let = 1", "let x", "1 +", "(1", "[1, 2", "f(1", "1 < 2 < 3", "fn (a) { }", "fn f(a = 1, b) { }", "for in x { }",
        "for i 0..<3 { }", "if x 1", "import other", "f(a: 1, 2)", "ctrl @ 0", "x.", "1 2", "let let = 2", "\"open",
        "}", "circuit { h 0 }", "circuit(2) h 0", "x = = 1", "3 = x", "a..<b..<c", "f(k: 1, k: 2)", "fn f(a, a) { }", "@", "$",
    ]

    func testTheParserAcceptsTheValidCorpus() {
        for s in Self.valid {
            XCTAssertNoThrow(try Parser.parse(SourceFile(name: "v.qd", text: s)), "should parse: \(s)")
        }
    }

    func testTheParserRejectsTheInvalidCorpus() {
        for s in Self.invalid {
            XCTAssertThrowsError(try Parser.parse(SourceFile(name: "i.qd", text: s)), "should not parse: \(s)")
        }
    }
}
