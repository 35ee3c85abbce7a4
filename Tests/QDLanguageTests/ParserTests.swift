import XCTest
import QDLanguage

/// The parser against hand-written trees (locations are not part of equality), and its error
/// messages and positions against exact expectations.
final class ParserTests: XCTestCase {
    private func parse(_ text: String) throws -> [Stmt] { try Parser.parse(SourceFile(name: "t.qd", text: text)) }
    private func n(_ s: String) -> Expr { Expr(.name(s)) }
    private func i(_ v: Int) -> Expr { Expr(.integer(v)) }
    private func bin(_ op: BinaryOperator, _ a: Expr, _ b: Expr) -> Expr { Expr(.binary(op, a, b)) }
    private func expr(_ e: Expr, display: Bool = true) -> Stmt { Stmt(.expression(e, display: display)) }

    private func errors(_ text: String) -> [String] {
        do {
            _ = try parse(text)
            return []
        } catch let list as DiagnosticList {
            return list.diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    func testPrecedenceAndAssociativity() throws {
        XCTAssertEqual(try parse("1 + 2 * 3 ^ 2 ^ 2"), [expr(bin(.add, i(1), bin(.multiply, i(2), bin(.power, i(3), bin(.power, i(2), i(2))))))])
        XCTAssertEqual(try parse("a - b - c"), [expr(bin(.subtract, bin(.subtract, n("a"), n("b")), n("c")))])
        XCTAssertEqual(try parse("-x ^ 2"), [expr(Expr(.unary(.negate, bin(.power, n("x"), i(2)))))])
        XCTAssertEqual(try parse("not a == b and c or d"),
                       [expr(bin(.or, bin(.and, Expr(.unary(.not, bin(.equal, n("a"), n("b")))), n("c")), n("d")))])
        XCTAssertEqual(try parse("0..<n - 1"), [expr(Expr(.range(i(0), bin(.subtract, n("n"), i(1)), closed: false)))])
    }

    func testLiteralsCallsMembersAndIndexing() throws {
        XCTAssertEqual(try parse("[1.5, 2im, \"s\", true, nil]"),
                       [expr(Expr(.list([Expr(.number(1.5)), Expr(.imaginary(2)), Expr(.string("s")), Expr(.bool(true)), Expr(.nil)])))])
        XCTAssertEqual(try parse("sample(c, shots: 1000, seed: 2)"),
                       [expr(Expr(.call(n("sample"), [Argument(nil, n("c")), Argument("shots", i(1000)), Argument("seed", i(2))])))])
        XCTAssertEqual(try parse("d.images[0, 1..<3];"),
                       [expr(Expr(.index(Expr(.member(n("d"), "images")), [i(0), Expr(.range(i(1), i(3), closed: false))])), display: false)])
        XCTAssertEqual(try parse("1e-3"), [expr(Expr(.number(0.001)))])
    }

    func testStatements() throws {
        XCTAssertEqual(try parse("let x = 1\nx = x + 1"), [Stmt(.let("x", i(1))), Stmt(.assign(n("x"), bin(.add, n("x"), i(1))))])
        XCTAssertEqual(try parse("fn f(a, b = 2) { return a + b }"),
                       [Stmt(.function(name: "f", parameters: [FunctionParameter("a"), FunctionParameter("b", default: i(2))],
                                       body: [Stmt(.return(bin(.add, n("a"), n("b"))))]))])
        XCTAssertEqual(try parse("for k in 0..<3 { k }"), [Stmt(.for(variable: "k", sequence: Expr(.range(i(0), i(3), closed: false)), body: [expr(n("k"))]))])
        XCTAssertEqual(try parse("if a { 1 } else if b { 2 } else { 3 }"),
                       [Stmt(.if(condition: n("a"), then: [expr(i(1))], else: [Stmt(.if(condition: n("b"), then: [expr(i(2))], else: [expr(i(3))]))]))])
        XCTAssertEqual(try parse("seed 42\nimport \"lib.qd\"\ntime f(1)"),
                       [Stmt(.seed(i(42))), Stmt(.import("lib.qd")), Stmt(.time(Expr(.call(n("f"), [Argument(nil, i(1))]))))])
    }

    func testCircuitBlocksAndGateStatements() throws {
        let tree = try parse("""
        circuit(2) {
            param t[2] = normal(0, 0.1)
            input x[4]
            amplitude(x) on 0..<2
            h 0
            cx 0, 1
            ry(t[1]) 1
            ctrl(2) @ inv @ rx(0.5) 0, 1, 2
            ctrl @ ry(0.1) on [0, 1]
        }
        """)
        let body: [Stmt] = [
            Stmt(.param(name: "t", shape: [i(2)], initializer: Expr(.call(n("normal"), [Argument(nil, i(0)), Argument(nil, Expr(.number(0.1)))])))),
            Stmt(.input(name: "x", shape: [i(4)])),
            expr(Expr(.placement(Expr(.call(n("amplitude"), [Argument(nil, n("x"))])), wires: Expr(.range(i(0), i(2), closed: false)), each: false))),
            Stmt(.gate(GateStatement(name: "h", operands: [i(0)]))),
            Stmt(.gate(GateStatement(name: "cx", operands: [i(0), i(1)]))),
            Stmt(.gate(GateStatement(name: "ry", arguments: [Argument(nil, Expr(.index(n("t"), [i(1)])))], operands: [i(1)]))),
            Stmt(.gate(GateStatement(modifiers: [.control(i(2)), .inverse], name: "rx", arguments: [Argument(nil, Expr(.number(0.5)))],
                                     operands: [i(0), i(1), i(2)]))),
            Stmt(.gate(GateStatement(modifiers: [.control(nil)], name: "ry", arguments: [Argument(nil, Expr(.number(0.1)))],
                                     wires: Expr(.list([i(0), i(1)]))))),
        ]
        XCTAssertEqual(tree, [expr(Expr(.circuit(qubits: i(2), body: body)))])
        // A name followed by an operand on the next line is two statements, not a gate.
        XCTAssertEqual(try parse("h\n0"), [expr(n("h")), expr(i(0))])
        XCTAssertEqual(try parse("trainable_hermitian() on each 0..<6"),
                       [expr(Expr(.placement(Expr(.call(n("trainable_hermitian"), [])), wires: Expr(.range(i(0), i(6), closed: false)), each: true)))])
    }

    func testNewlinesInsideBracketsAndAfterOperators() throws {
        XCTAssertEqual(try parse("f(1,\n  2)"), [expr(Expr(.call(n("f"), [Argument(nil, i(1)), Argument(nil, i(2))])))])
        XCTAssertEqual(try parse("1 +\n 2"), [expr(bin(.add, i(1), i(2)))])
        XCTAssertEqual(try parse("[1,\n2,\n]"), [expr(Expr(.list([i(1), i(2)])))])
    }

    func testErrorsHaveExactMessagesAndPositions() {
        XCTAssertEqual(errors("let = 3"), ["t.qd:1:5: error: expected a name after 'let', found '='"])
        XCTAssertEqual(errors("x = (1 + 2"), ["t.qd:1:11: error: expected ')' to close the parenthesis, found end of file"])
        XCTAssertEqual(errors("1 < 2 < 3"), ["t.qd:1:7: error: comparisons do not chain: write 'a < b and b < c'"])
        XCTAssertEqual(errors("\"abc"), ["t.qd:1:1: error: unterminated string: add a closing '\"' on the same line"])
        XCTAssertEqual(errors("let x = 1 $"), ["t.qd:1:11: error: unexpected character '$'"])
        XCTAssertEqual(errors("f(a: 1, 2)"), ["t.qd:1:9: error: a positional argument cannot follow a labelled one"])
        XCTAssertEqual(errors("for i 0..<3 {}"), ["t.qd:1:7: error: expected 'in' after 'for i', found '0'"])
        XCTAssertEqual(errors("circuit(2) { h 0 "), ["t.qd:1:18: error: expected '}' to close the circuit, found end of file"])
        XCTAssertEqual(errors("1 + 2 3"), ["t.qd:1:7: error: expected the end of the statement (a new line or ';'), found '3'"])
        XCTAssertEqual(errors("let let = 1"), ["t.qd:1:5: error: 'let' is a keyword and cannot be used as a name after 'let'"])
    }

    func testRecoveryReportsEveryError() {
        let e = errors("let = 1\nlet ok = 2\nx = )\nfn f( { }\nlet y = 3 +")
        XCTAssertEqual(e, [
            "t.qd:1:5: error: expected a name after 'let', found '='",
            "t.qd:3:5: error: expected an expression, found ')'",
            "t.qd:4:7: error: expected a name for a parameter of 'f', found '{'",
            "t.qd:5:12: error: expected an expression, found end of file",
        ])
    }

    /// After an error, recovery skips a braced block that spans lines as a whole, instead of
    /// stopping inside it and reporting its closing brace as a second error.
    func testRecoverySkipsABlockThatFollowsTheError() {
        XCTAssertEqual(errors("let a = ) {\n  x\n  y\n}\nlet b = )"), [
            "t.qd:1:9: error: expected an expression, found ')'",
            "t.qd:5:9: error: expected an expression, found ')'",
        ])
    }

    func testDeepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
        XCTAssertTrue(errors(deep).first?.contains("nesting is too deep") ?? false)
        let deepBlocks = String(repeating: "if true {", count: 3000) + String(repeating: "}", count: 3000)
        XCTAssertTrue(errors(deepBlocks).first?.contains("nesting is too deep") ?? false)
        let deepUnary = String(repeating: "-", count: 10_000) + "1"
        XCTAssertTrue(errors(deepUnary).first?.contains("nesting is too deep") ?? false)
    }

    func testDiagnosticRendersTheLineAndACaret() {
        let source = SourceFile(name: "t.qd", text: "let a = 1\nlet b = a +* 2\n")
        do {
            _ = try Parser.parse(source)
            XCTFail("expected an error")
        } catch let list as DiagnosticList {
            XCTAssertEqual(list.diagnostics[0].rendered(source: source), """
            t.qd:2:12: error: expected an expression, found '*'
                let b = a +* 2
                           ^
            """)
        } catch { XCTFail("\(error)") }
    }
}
