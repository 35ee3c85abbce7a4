/// Notebook cells: a file split at lines that start with `# %%`. Cell 1 is everything before the
/// first marker (when it holds more than comments and blank lines) or the first marked cell.
public struct Cell: Equatable, Sendable {
    /// 1-based cell number.
    public var number: Int
    /// The text after `# %%` on the marker line ("" when none).
    public var title: String
    /// The cell's source, with the marker line.
    public var text: String
    /// The file line the cell starts on (so diagnostics keep the file's numbering).
    public var firstLine: Int

    /// Splits `text` into cells.
    public static func split(_ text: String) -> [Cell] {
        var cells: [Cell] = []
        var current: [Substring] = [], title = "", start = 1
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if text.hasSuffix("\n") { lines.removeLast() }  // the file's final newline ends a line, not a new one
        func flush() {
            let body = current.joined(separator: "\n")
            let meaningful = current.contains { l in
                let t = l.trimmingCharacters(in: .whitespaces)
                return !t.isEmpty && !t.hasPrefix("#")
            }
            if meaningful || !title.isEmpty { cells.append(Cell(number: cells.count + 1, title: title, text: body, firstLine: start)) }
        }
        for (k, line) in lines.enumerated() {
            if line.hasPrefix("# %%") {
                flush()
                current = [line]
                title = line.dropFirst(4).trimmingCharacters(in: .whitespaces)
                start = k + 1
            } else {
                current.append(line)
            }
        }
        flush()
        return cells
    }

    /// The cell's text padded with blank lines so line numbers match the file.
    public var sourceAligned: String { String(repeating: "\n", count: firstLine - 1) + text }
}

import Foundation
