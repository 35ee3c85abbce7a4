/// A position in a source text: 1-based line and column (columns count characters), and the
/// character offset from the start.
public struct SourceLocation: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// 1-based line.
    public var line: Int
    /// 1-based column, in characters.
    public var column: Int

    /// A location.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The first character of a file.
    public static let start = SourceLocation(line: 1, column: 1)

    public var description: String { "\(line):\(column)" }
}

/// A named source text, split into lines so diagnostics can quote the offending line.
public struct SourceFile: Sendable {
    /// The name shown in diagnostics (a path, or `<repl>` / `<stdin>`).
    public let name: String
    /// The full text.
    public let text: String
    /// The text's lines, without their terminators.
    public let lines: [Substring]

    /// A source file named `name` holding `text`.
    public init(name: String, text: String) {
        self.name = name
        self.text = text
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
    }

    /// Line `n` (1-based), or an empty string past the end.
    public func line(_ n: Int) -> Substring { (1...lines.count).contains(n) ? lines[n - 1] : "" }
}
