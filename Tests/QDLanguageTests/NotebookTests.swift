import XCTest
import QDLanguage

/// Notebook helpers the REPL builds on: cells, input completeness, and completion candidates.
final class NotebookTests: XCTestCase {
    func testCellsSplitAtMarkersAndKeepLineNumbers() {
        let cells = Cell.split("# intro comment\nlet a = 1\n# %% second\nlet b = 2\n\n# %%\nb\n")
        XCTAssertEqual(cells.map(\.number), [1, 2, 3])
        XCTAssertEqual(cells.map(\.title), ["", "second", ""])
        XCTAssertEqual(cells.map(\.firstLine), [1, 3, 6])
        XCTAssertEqual(cells[1].sourceAligned, "\n\n# %% second\nlet b = 2\n")
        XCTAssertEqual(Cell.split("# only comments\n# %% first\nx\n").map(\.title), ["first"])
    }

    func testInputNeedsMoreLinesWhileBracketsAreOpenOrAnOperatorEnds() {
        for open in ["let c = circuit(2) {", "f(1,", "[1, 2", "1 +", "x =", "a and", "ctrl @", "let r = 0..<"] {
            XCTAssertTrue(Completeness.needsMoreInput(open), open)
        }
        for complete in ["1 + 2", "circuit(1) { h 0 }", "f(1, 2)", "# comment", "", "\"a (\""] {
            XCTAssertFalse(Completeness.needsMoreInput(complete), complete)
        }
    }

    func testCompletionCandidates() throws {
        let qd = Interpreter()
        _ = try qd.evaluate("let bell = circuit(2) { h 0; cx 0, 1 }\nlet bellows = 3")
        XCTAssertEqual(qd.completions(line: "probs(bel", word: "bel", wordStart: 6), ["bell", "bellows"])
        XCTAssertEqual(qd.completions(line: "sampl", word: "sampl", wordStart: 0), ["sample"])
        XCTAssertEqual(qd.completions(line: "bell.qu", word: "bell.qu", wordStart: 0), ["bell.qubits"])
        XCTAssertEqual(qd.completions(line: ":he", word: ":he", wordStart: 0, commands: [":help", ":quit"]), [":help"])
        XCTAssertTrue(qd.completions(line: "str", word: "str", wordStart: 0).contains("strongly_entangling"))
        XCTAssertTrue(qd.completions(line: "ci", word: "ci", wordStart: 0).contains("circuit"))
        var options = Interpreter.Options()
        options.workingDirectory = ScriptRunner.root
        let rooted = Interpreter(options: options)
        XCTAssertEqual(rooted.completions(line: "import \"examples/circ", word: "examples/circ", wordStart: 8), ["examples/circuits.qd"])
        XCTAssertEqual(rooted.completions(line: ":load gram", word: "gram", wordStart: 6), ["grammar/"])
    }
}
