import Foundation

/// Reports progress of long runs: a redrawn bar on a terminal, plain periodic log lines otherwise.
public final class ProgressReporter: @unchecked Sendable {
    private let label: String
    private let total: Int
    private let interactive: Bool
    private let start = Date()
    private var lastLine = Date.distantPast
    private let write: (String) -> Void

    /// A reporter for `total` steps, writing to standard error (or `write`).
    public init(_ label: String, total: Int, interactive: Bool = isatty(fileno(stderr)) != 0,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.label = label
        self.total = max(total, 1)
        self.interactive = interactive
        self.write = write
    }

    /// A message on a line of its own (clearing the bar first on a terminal).
    public func note(_ message: String) {
        write((interactive ? "\r\u{1B}[K" : "") + message + "\n")
    }

    /// Step `done` of `total`, with named figures (loss, accuracy, rate, ...).
    public func update(_ done: Int, _ figures: [(String, Double)] = []) {
        let elapsed = Date().timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let stats = figures.map { name, v in
            "\(name) " + (v.rounded() == v && abs(v) < 1e12 ? String(Int64(v)) : String(format: "%.4g", v))
        }.joined(separator: "  ")
        if interactive {
            let width = 24, filled = width * min(done, total) / total
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            write("\r\(label) \(bar) \(done)/\(total)  \(stats)  eta \(Int(eta))s\u{1B}[K" + (done >= total ? "\n" : ""))
        } else if done >= total || Date().timeIntervalSince(lastLine) >= 5 {
            lastLine = Date()
            write("\(label): \(done)/\(total)  \(stats)  elapsed \(Int(elapsed))s  eta \(Int(eta))s\n")
        }
    }
}
