import XCTest
import QDLanguage

/// The README documents every builtin, and the registry documents itself (signature, doc text and
/// an example for each name, which the REPL's :help will show).
final class DocumentationTests: XCTestCase {
    func testEveryBuiltinHasDocTextAndAnExampleThatParses() throws {
        let registry = Interpreter().registry
        XCTAssertGreaterThan(registry.names.count, 60)
        for name in registry.names {
            let e = try XCTUnwrap(registry.entry(name))
            XCTAssertFalse(e.doc.isEmpty, "\(name) has no doc text")
            XCTAssertFalse(e.example.isEmpty, "\(name) has no example")
            let example = e.category == "template" || e.category == "gate" ? "circuit(6) {\n\(e.example)\n}" : e.example
            XCTAssertNoThrow(try Parser.parse(SourceFile(name: name, text: example)), "the example of \(name) does not parse")
        }
    }

    func testTheReadmeMentionsEveryBuiltin() throws {
        let readme = try String(contentsOf: ScriptRunner.root.appendingPathComponent("README.md"), encoding: .utf8)
        for name in Interpreter().registry.names {
            XCTAssertTrue(readme.contains("`\(name)") || readme.contains(" \(name) ") || readme.contains(" \(name)`") || readme.contains(" \(name)\n"),
                          "README.md does not document the builtin \(name)")
        }
    }
}
