import CReadline
import Foundation
import QDLanguage

/// The interactive notebook: reads entries (continuing over lines while brackets are open or a
/// line ends with an operator), runs them in one interpreter, shows results and errors, and
/// handles `:commands`, history, completion and Ctrl-C.
public final class Repl {
    private let interpreter: Interpreter
    private let reader: ReadlineReader
    private let out = Style(fileDescriptor: STDOUT_FILENO)
    private let err = Style(fileDescriptor: STDERR_FILENO)
    /// Entries that ran without error, for `:save`.
    private var accepted: [String] = []
    private var buffer = ""

    /// A REPL on `interpreter`, reading through readline with the history file at `historyPath`.
    /// (`qd` runs non-terminal input as a script instead, without the REPL.)
    public init(interpreter: Interpreter, historyPath: String) {
        self.interpreter = interpreter
        let commands = Command.names
        reader = ReadlineReader(historyPath: historyPath) { [interpreter] line, word, start in
            interpreter.completions(line: line, word: word, wordStart: start, commands: commands)
        }
        interpreter.onDisplay = { [out] d in
            print(out.result(d.text))
            fflush(stdout)
        }
    }

    /// The default history file: `~/.qd_history`.
    public static var defaultHistoryPath: String {
        (ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + "/.qd_history"
    }

    /// Runs until Ctrl-D or `:quit`; returns the exit status (0).
    public func run() -> Int32 {
        SignalHandling.install(interpreter.interrupt)
        print(out.note("qd \(Repl.version) — :help for help, :quit or Ctrl-D to leave; seed \(interpreter.seed)"))
        defer { reader.close() }
        while true {
            SignalHandling.atPrompt.store(true, ordering: .relaxed)
            let line = reader.readLine(prompt: buffer.isEmpty ? "qd> " : "... ")
            SignalHandling.atPrompt.store(false, ordering: .relaxed)
            if SignalHandling.promptInterrupted.exchange(false, ordering: .relaxed) { buffer = "" }
            guard let line else {
                print()
                return 0
            }
            if buffer.isEmpty, line.trimmingCharacters(in: .whitespaces).hasPrefix(":") {
                reader.remember(line)
                if !command(line.trimmingCharacters(in: .whitespaces)) { return 0 }
                continue
            }
            buffer += (buffer.isEmpty ? "" : "\n") + line
            if Completeness.needsMoreInput(buffer) { continue }
            let entry = buffer
            buffer = ""
            guard !entry.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
            reader.remember(entry)
            if evaluate(entry, name: "<repl>") { accepted.append(entry) }
        }
    }

    /// The version the banner shows.
    public nonisolated(unsafe) static var version = "0"

    /// Runs `text`; reports errors; returns whether it ran cleanly.
    @discardableResult
    private func evaluate(_ text: String, name: String) -> Bool {
        interpreter.interruptRequested = false
        let source = SourceFile(name: name, text: text)
        let diagnostics = interpreter.run(source)
        for d in diagnostics { report(d.rendered(source: source)) }
        return diagnostics.isEmpty
    }

    private func report(_ text: String) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let styled = lines.enumerated().map { $0.offset == 0 ? err.error(String($0.element)) : String($0.element) }
        FileHandle.standardError.write(Data((styled.joined(separator: "\n") + "\n").utf8))
    }

    // MARK: commands

    /// Handles one `:command`; returns false to quit.
    private func command(_ line: String) -> Bool {
        let parts = line.dropFirst().split(separator: " ", maxSplits: 1).map(String.init)
        let name = parts.first ?? "", argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        guard let c = Command(rawValue: name) else {
            var message = "unknown command ':\(name)'"
            if let near = Command.allCases.map(\.rawValue).min(by: { editDistance($0, name) < editDistance($1, name) }), editDistance(near, name) <= 2 {
                message += "; did you mean ':\(near)'?"
            }
            report("error: \(message) (:help lists the commands)")
            return true
        }
        switch c {
        case .quit: return false
        case .help: help(argument)
        case .vars:
            for n in interpreter.globals.order {
                guard let v = interpreter.globals.lookup(n) else { continue }
                print("\(out.bold(n)): \(v.typeName) = \(String(Interpreter.Display.inline(v).prefix(70)))")
            }
        case .reset:
            interpreter.globals.removeAll()
            interpreter.reseed(interpreter.options.seed)
            accepted.removeAll()
            print(out.note("session reset (seed \(interpreter.seed))"))
        case .time:
            guard !argument.isEmpty else { report("error: :time needs an expression, e.g. :time probs(bell)"); break }
            if evaluate("time \(argument)", name: "<repl>") { accepted.append(argument) }
        case .seed:
            guard let n = UInt64(argument) else { report("error: :seed needs a non-negative integer, e.g. :seed 42"); break }
            if evaluate("seed \(n)", name: "<repl>") { accepted.append("seed \(n)") }
        case .load:
            guard let text = read(argument) else { break }
            if evaluate(text, name: argument) { accepted.append("import \"\(argument)\"") }
        case .cells:
            guard let text = read(argument) else { break }
            for cell in Cell.split(text) {
                let lines = cell.text.split(separator: "\n", omittingEmptySubsequences: false).count
                print("\(cell.number)  \(cell.title.isEmpty ? "(untitled)" : cell.title)  lines \(cell.firstLine)–\(cell.firstLine + lines - 1)")
            }
        case .run:
            guard let hash = argument.lastIndex(of: "#"), let k = Int(argument[argument.index(after: hash)...]) else {
                report("error: :run needs FILE#CELL, e.g. :run examples/circuits.qd#2")
                break
            }
            let path = String(argument[..<hash])
            guard let text = read(path) else { break }
            let cells = Cell.split(text)
            guard (1...max(cells.count, 1)).contains(k), k <= cells.count else {
                report("error: \(path) has \(cells.count) cell(s); valid cells are 1...\(cells.count)")
                break
            }
            if evaluate(cells[k - 1].sourceAligned, name: path) { accepted.append(cells[k - 1].text) }
        case .save:
            guard !argument.isEmpty else { report("error: :save needs a file name, e.g. :save session.qd"); break }
            let script = "# qd session saved by :save; `qd FILE` reproduces it\nseed \(interpreter.options.seed)\n" + accepted.joined(separator: "\n") + "\n"
            do {
                try script.write(to: interpreter.resolve(argument), atomically: true, encoding: .utf8)
                print(out.note("wrote \(interpreter.resolve(argument).path) (\(accepted.count) entries)"))
            } catch {
                report("error: cannot write \(argument): \(error.localizedDescription)")
            }
        }
        return true
    }

    private func read(_ path: String) -> String? {
        guard !path.isEmpty else { report("error: give a file name"); return nil }
        guard let text = try? String(contentsOf: interpreter.resolve(path), encoding: .utf8) else {
            report("error: cannot read \(interpreter.resolve(path).path)")
            return nil
        }
        return text
    }

    private func help(_ name: String) {
        let registry = interpreter.registry
        if name.isEmpty {
            print(out.bold("commands"))
            for c in Command.allCases { print("  " + c.usage) }
            var groups: [String: [String]] = [:]
            for n in registry.names { groups[registry.entry(n)!.category, default: []].append(n) }
            for (category, names) in groups.sorted(by: { $0.key < $1.key }) {
                print(out.bold(category) + ": " + names.joined(separator: " "))
            }
            print(out.note(":help NAME shows a builtin's signature, doc text and example; the language is in README.md and grammar/qd.ebnf"))
            return
        }
        let key = name.hasPrefix(":") ? String(name.dropFirst()) : name
        if let c = Command(rawValue: key) { print(c.usage); return }
        guard let e = registry.entry(key) else {
            report("error: no builtin or command named '\(name)'")
            return
        }
        print(out.bold(e.signature))
        print(e.doc)
        print(out.note("example:") + "\n" + e.example.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
    }
}
