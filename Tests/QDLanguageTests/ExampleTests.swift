import XCTest
import QDLanguage

/// Every example is a test: all parse, and the fast ones run and must display exactly their
/// `# expect:` lines. Examples marked `# slow` (full datasets, minutes of work) are run by hand
/// or by `make run`, and are only parsed here.
final class ExampleTests: XCTestCase {
    static var examples: [URL] {
        let dir = ScriptRunner.root.appendingPathComponent("examples")
        let files = (try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "qd" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    static func isSlow(_ text: String) -> Bool {
        text.split(separator: "\n").prefix(5).contains { $0.hasPrefix("# slow") }
    }

    func testThereAreExamples() {
        let names = Set(Self.examples.map(\.lastPathComponent))
        for required in ["quickstart.qd", "circuits.qd", "hermitian.qd"] {
            XCTAssertTrue(names.contains(required), "examples/\(required) is missing")
        }
    }

    func testEveryExampleParses() throws {
        for url in Self.examples {
            let text = try String(contentsOf: url, encoding: .utf8)
            XCTAssertNoThrow(try Parser.parse(SourceFile(name: url.lastPathComponent, text: text)), url.lastPathComponent)
        }
    }

    /// The quickstart takes 20 seconds, so the suite runs it shortened to one epoch (4
    /// iterations) and checks that every part of it runs and reports what it should.
    func testTheQuickstartRunsEndToEndWhenShortened() throws {
        let url = ScriptRunner.root.appendingPathComponent("examples/quickstart.qd")
        let text = try String(contentsOf: url, encoding: .utf8)
        XCTAssertTrue(text.contains("total_epochs: 175"), "the shortening below no longer applies")
        let short = text.replacingOccurrences(of: "total_epochs: 175", with: "total_epochs: 1")
        var options = Interpreter.Options()
        options.threads = 2
        let runner = ScriptRunner(options: options)
        XCTAssertEqual(runner.run(short, name: url.path), [])
        let output = runner.lines.joined(separator: "\n")
        for expected in ["59369", "{iteration: 4, epoch: 1,", "  distilled images", "  random real images", "  class-mean images",
                         "learned step sizes", "circuit executions to train on the distilled images: 30 forward runs and 30 adjoint sweeps",
                         "one epoch of the full MNIST training set: 42300000 with parameter shift"] {
            XCTAssertTrue(output.contains(expected), "missing \"\(expected)\" in:\n\(output)")
        }
    }

    func testFastExamplesMatchTheirExpectedOutput() throws {
        var ran = 0
        for url in Self.examples {
            let text = try String(contentsOf: url, encoding: .utf8)
            if Self.isSlow(text) {
                print("ExampleTests: skipping \(url.lastPathComponent) (marked # slow; run it with qd)")
                continue
            }
            var options = Interpreter.Options()
            options.workingDirectory = url.deletingLastPathComponent()
            options.threads = 2
            let runner = ScriptRunner(options: options)
            let errors = runner.run(text, name: url.path)
            XCTAssertEqual(errors, [], url.lastPathComponent)
            let expected = ScriptRunner.expectations(text)
            XCTAssertFalse(expected.isEmpty, "\(url.lastPathComponent) has no # expect: lines")
            XCTAssertEqual(runner.lines.count, expected.count, "\(url.lastPathComponent): \(runner.lines.count) displayed lines, \(expected.count) expected")
            for (k, (got, want)) in zip(runner.lines, expected).enumerated() where got != want {
                XCTFail("\(url.lastPathComponent): output line \(k + 1) is \"\(got)\"; expected \"\(want)\"")
                break
            }
            ran += 1
        }
        XCTAssertGreaterThanOrEqual(ran, 2)
    }
}
