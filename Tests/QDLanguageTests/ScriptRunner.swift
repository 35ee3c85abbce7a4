import Foundation
import QDLanguage

/// Runs `.qd` text through the embedding API and collects what it displays.
struct ScriptRunner {
    /// The repository root (for examples/ and grammar/).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    let interpreter: Interpreter
    private let box = Box()

    private final class Box {
        var lines: [String] = []
        var json: [String] = []
    }

    init(options: Interpreter.Options = Interpreter.Options()) {
        interpreter = Interpreter(options: options)
        interpreter.onProgress = { _ in }
        interpreter.onDisplay = { [box] d in
            box.lines += d.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            box.json.append(d.json.serialized)
        }
    }

    /// Displayed lines so far.
    var lines: [String] { box.lines }
    /// JSON lines so far.
    var json: [String] { box.json }

    /// Runs `text`; returns the diagnostics' one-line forms.
    @discardableResult
    func run(_ text: String, name: String = "test.qd") -> [String] {
        interpreter.run(SourceFile(name: name, text: text)).map(\.description)
    }

    /// The `# expect:` lines of a script, in order.
    static func expectations(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).compactMap { line in
            let t = line.trimmingCharacters(in: .whitespaces)
            guard let r = t.range(of: "# expect: ") ?? (t.hasSuffix("# expect:") ? t.range(of: "# expect:") : nil) else { return nil }
            return String(t[r.upperBound...])
        }
    }
}
