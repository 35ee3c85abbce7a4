import CReadline
import Foundation

/// GNU readline: line editing, a persistent history file with a size limit, and tab completion.
final class ReadlineReader {
    private let historyPath: String
    /// Entries kept in the history file.
    static let historyLimit: Int32 = 1000

    init(historyPath: String, completer: @escaping (String, String, Int) -> [String]) {
        self.historyPath = historyPath
        ReadlineReader.completer = completer
        using_history()
        stifle_history(Self.historyLimit)
        read_history(historyPath)
        // '.' and '/' stay inside words so members (d.st) and paths (examples/ci) complete whole.
        rl_completer_word_break_characters = UnsafePointer(strdup(" \t\n\"'`=+-*%^<>;|&{}()[],"))
        rl_attempted_completion_function = { text, start, _ in
            rl_attempted_completion_over = 1
            let line = rl_line_buffer.map { String(cString: $0) } ?? ""
            let word = text.map { String(cString: $0) } ?? ""
            ReadlineReader.candidates = ReadlineReader.completer?(line, word, Int(start)) ?? []
            // No space after a completed word: names are usually followed by '(', '.' or ')'.
            rl_completion_append_character = 0
            return rl_completion_matches(text) { _, state in
                let k = Int(state)
                guard k < ReadlineReader.candidates.count else { return nil }
                return strdup(ReadlineReader.candidates[k])
            }
        }
    }

    nonisolated(unsafe) static var completer: ((String, String, Int) -> [String])?
    nonisolated(unsafe) static var candidates: [String] = []

    /// The next line (without its newline), or nil at end of input (Ctrl-D).
    func readLine(prompt: String) -> String? {
        guard let raw = readline(prompt) else { return nil }
        defer { free(raw) }
        return String(cString: raw)
    }

    /// Records an accepted entry in the history.
    func remember(_ entry: String) {
        guard !entry.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        add_history(entry)
    }

    /// Saves the history file.
    func close() { write_history(historyPath) }
}
