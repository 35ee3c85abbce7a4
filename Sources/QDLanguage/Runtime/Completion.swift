import Foundation

extension Interpreter {
    /// Tab-completion candidates for `word`, which starts at character `wordStart` of `line`; each
    /// candidate replaces the whole word. Covers keywords, builtins, gates and templates, names
    /// defined in the session, members after a `.`, the REPL's `commands` (at the start of a line),
    /// and file paths inside the string of `import`, `save`/`load` calls and after `:load`/`:run`/
    /// `:cells`/`:save`.
    public func completions(line: String, word: String, wordStart: Int, commands: [String] = []) -> [String] {
        let before = String(line.prefix(wordStart))
        if isFileContext(before) { return filePaths(matching: word) }
        if before.trimmingCharacters(in: .whitespaces).isEmpty && word.hasPrefix(":") {
            return commands.filter { $0.hasPrefix(word) }.sorted()
        }
        if let dot = word.lastIndex(of: ".") {
            let base = String(word[..<dot]), prefix = String(word[word.index(after: dot)...])
            guard let value = try? memberChain(base) else { return [] }
            return Members.names(value).filter { $0.hasPrefix(prefix) }.sorted().map { base + "." + $0 }
        }
        let names = Set(Keyword.allCases.map(\.rawValue) + registry.names + globals.allNames)
        return names.filter { $0.hasPrefix(word) }.sorted()
    }

    private func isFileContext(_ before: String) -> Bool {
        let trimmed = before.trimmingCharacters(in: .whitespaces)
        for c in [":load", ":run", ":cells", ":save"] where trimmed == c { return true }
        // Inside an open string that follows import or a file-taking call.
        let quotes = before.filter { $0 == "\"" }.count
        guard quotes % 2 == 1, let open = before.lastIndex(of: "\"") else { return false }
        let lead = before[..<open].trimmingCharacters(in: .whitespaces)
        return ["import", "load_model(", "load_distilled(", "load_qasm(", "resume(", "save(", "file:", "folder:"].contains { lead.hasSuffix($0) }
            || lead.hasSuffix(",") && lead.contains("save(")
    }

    private func filePaths(matching word: String) -> [String] {
        let dirPart = word.contains("/") ? String(word[...word.lastIndex(of: "/")!]) : ""
        let namePart = String(word.dropFirst(dirPart.count))
        let dir = dirPart.isEmpty ? options.workingDirectory : resolve(dirPart)
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        return entries.filter { $0.hasPrefix(namePart) && !$0.hasPrefix(".") }.sorted().map { name in
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path, isDirectory: &isDirectory)
            return dirPart + name + (exists && isDirectory.boolValue ? "/" : "")
        }
    }

    /// The value of `a.b.c` (names and members only, nothing called).
    private func memberChain(_ text: String) throws -> Value {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, !first.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }) else {
            throw RuntimeError("not a name chain")
        }
        var v = try lookup(first, globals)
        for p in parts.dropFirst() { v = try member(v, p) }
        return v
    }
}
