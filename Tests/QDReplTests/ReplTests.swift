import Foundation
import XCTest

/// The REPL through a real terminal (tmux), and `qd` on pipes and files.
final class ReplTests: XCTestCase {
    private var home: URL!

    override func setUpWithError() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("qd-repl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: home) }

    func testPromptCompletionAndMultiLineInput() throws {
        let t = try TerminalSession(home: home)
        defer { t.close() }
        try t.waitFor(10, "the prompt") { $0.contains("qd>") }
        try t.send("let bell = circuit(2) {", "Enter", "h 0", "Enter", "cx 0, 1", "Enter", "}", "Enter")
        try t.waitFor(10, "continuation prompts") { $0.contains("... h 0") && $0.contains("... }") }
        try t.send("probs(bel", "Tab", ")", "Enter")
        try t.waitFor(10, "the completed name and its result") { $0.contains("qd> probs(bell)") && $0.contains("[0.5, 0, 0, 0.5]") }
        try t.send("bell.qub", "Tab", "Enter")
        try t.waitFor(10, "member completion") { $0.contains("qd> bell.qubits") }
        try t.send(":he", "Tab", " sample", "Enter")
        try t.waitFor(10, "command completion and :help") { $0.contains("qd> :help sample") && $0.contains("sample(circuit, shots: 1000") }
    }

    func testAnErrorShowsItsCaretAndTheSessionGoesOn() throws {
        let t = try TerminalSession(home: home)
        defer { t.close() }
        try t.waitFor(10, "the prompt") { $0.contains("qd>") }
        try t.send("let theta = 2", "Enter", "1 + thta", "Enter")
        let s = try t.waitFor(10, "the error") { $0.contains("error: unknown name 'thta'; did you mean 'theta'?") }
        XCTAssertTrue(s.contains("<repl>:1:5: error"), s)
        XCTAssertTrue(s.contains("    1 + thta\n        ^"), s)
        try t.send("theta * 21", "Enter")
        try t.waitFor(10, "a later result") { $0.contains("\n42\n") }
    }

    func testHistoryIsRecalledAfterARestart() throws {
        let first = try TerminalSession(home: home)
        try first.waitFor(10, "the prompt") { $0.contains("qd>") }
        try first.send("6 * 7", "Enter")
        try first.waitFor(10, "the result") { $0.contains("42") }
        try first.send("C-d")
        // the history is written as the session ends: wait for it (at most ten seconds)
        let history = home.appendingPathComponent(".qd_history")
        func saved() -> Bool { (try? String(contentsOf: history, encoding: .utf8))?.contains("6 * 7") ?? false }
        let deadline = Date().addingTimeInterval(10)
        while !saved(), Date() < deadline { usleep(50_000) }
        first.close()
        XCTAssertTrue(saved(), "the history file does not hold the entry")
        let second = try TerminalSession(home: home)
        defer { second.close() }
        try second.waitFor(10, "the prompt") { $0.contains("qd>") }
        try second.send("Up")
        try second.waitFor(10, "the recalled entry") { $0.contains("qd> 6 * 7") }
    }

    func testCtrlCStopsADistillationAndTheSessionContinues() throws {
        let t = try TerminalSession(home: home)
        defer { t.close() }
        try t.waitFor(10, "the prompt") { $0.contains("qd>") }
        try t.send("let d = distill(lenet(), mnist(), batch: 512)", "Enter")
        try t.waitFor(20, "the distiller") { $0.components(separatedBy: "qd>").count >= 3 }
        try t.send("d.step(100000)", "Enter")
        try t.waitFor(60, "progress") { $0.contains("distil") && $0.contains("iter ") }
        try t.send("C-c")
        let s = try t.waitFor(60, "the interruption") { $0.contains("interrupted after") }
        XCTAssertTrue(s.contains("can continue"), s)
        try t.send("d.iteration > 0 and d.iteration < 100000", "Enter")
        try t.waitFor(20, "the state") { $0.contains("true") }
        try t.send("d.step(1).iteration == d.iteration", "Enter")
        try t.waitFor(60, "one more step") { $0.components(separatedBy: "true").count >= 3 }
        // Ctrl-C at the prompt clears the line, including continuation lines.
        try t.send("let x = (1 +", "Enter", "C-c", "2 + 2", "Enter")
        try t.waitFor(10, "a fresh entry") { $0.contains("\n4\n") }
    }

    func testCellsVarsAndSaveReproduceTheSession() throws {
        let file = home.appendingPathComponent("cells.qd")
        try "# %% setup\nlet a = 20\n# %% use\na + 22\n".write(to: file, atomically: true, encoding: .utf8)
        let t = try TerminalSession(home: home)
        defer { t.close() }
        try t.waitFor(10, "the prompt") { $0.contains("qd>") }
        try t.send(":cells \(file.path)", "Enter")
        try t.waitFor(10, "the cell list") { $0.contains("1  setup  lines 1–2") && $0.contains("2  use  lines 3–4") }
        try t.send(":run \(file.path)#1", "Enter", ":run \(file.path)#2", "Enter")
        try t.waitFor(10, "cell 2's result") { $0.contains("\n42\n") }
        try t.send(":vars", "Enter")
        try t.waitFor(10, "the variables") { $0.contains("a: int = 20") }
        try t.send("let b = a * 2", "Enter", "oops(", "Enter", ")", "Enter", ":save \(home.path)/session.qd", "Enter")
        try t.waitFor(10, "the saved session") { $0.contains("wrote \(self.home.path)/session.qd") }
        let saved = try String(contentsOf: home.appendingPathComponent("session.qd"), encoding: .utf8)
        XCTAssertTrue(saved.contains("let a = 20") && saved.contains("a + 22") && saved.contains("let b = a * 2"), saved)
        XCTAssertFalse(saved.contains("oops"), "entries that failed are not saved")
        try t.send(":help nosuch", "Enter", ":sead 3", "Enter")
        try t.waitFor(10, "command errors") { $0.contains("no builtin or command named 'nosuch'") && $0.contains("did you mean ':seed'?") }
    }

    func testPipedInputMatchesTheScriptAndExitCodes() throws {
        guard let qd = TerminalSession.binary else { throw XCTSkip("the qd binary is not built") }
        let script = home.appendingPathComponent("s.qd")
        try "let c = circuit(2) { h 0; cx 0, 1 }\nc\nprobs(c)\nexpect(Z0 * Z1, c)\n".write(to: script, atomically: true, encoding: .utf8)
        func run(_ args: [String], stdin: String? = nil) throws -> (Int32, String, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: qd)
            p.arguments = args
            let out = Pipe(), err = Pipe(), input = Pipe()
            p.standardOutput = out
            p.standardError = err
            p.standardInput = input
            try p.run()
            if let s = stdin { input.fileHandleForWriting.write(Data(s.utf8)) }
            try input.fileHandleForWriting.close()
            let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
        }
        let fromFile = try run([script.path])
        let fromPipe = try run([], stdin: try String(contentsOf: script, encoding: .utf8))
        XCTAssertEqual(fromFile.0, 0)
        XCTAssertEqual(fromFile.1, fromPipe.1)
        XCTAssertEqual(fromFile.1, "0: ─H─╭●─┤\n1: ───╰X─┤\n[0.5, 0, 0, 0.5]\n1\n")
        let broken = try run([], stdin: "let x = 1\nx +\n")
        XCTAssertEqual(broken.0, 1)
        XCTAssertTrue(broken.2.hasPrefix("<stdin>:3:1: error: expected an expression, found end of file"), broken.2)
        XCTAssertEqual(try run(["--bogus"]).0, 2)
        XCTAssertEqual(try run(["--json", script.path]).1.split(separator: "\n").count, 3)
    }
}
