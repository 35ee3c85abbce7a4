import Foundation
import XCTest

/// The `qd` binary driven through a real pseudo-terminal with tmux: send keys, read the screen.
final class TerminalSession {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The built `qd` next to the test bundle (SwiftPM builds it: the test target depends on it).
    static var binary: String? {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("qd").path
        for candidate in [beside, root.appendingPathComponent(".build/release/qd").path, root.appendingPathComponent(".build/debug/qd").path]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return nil
    }

    static var tmux: String? {
        ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    let socket = "qdtest-\(UUID().uuidString.prefix(8))"
    let home: URL
    private let tmux: String

    /// Starts `qd` (with `arguments`) in a detached 120×40 tmux session with HOME at `home`.
    init(home: URL, arguments: [String] = []) throws {
        guard let tmux = Self.tmux else { throw XCTSkip("tmux is not installed (scripts/deps.sh installs it); the terminal tests need it") }
        guard let qd = Self.binary else { throw XCTSkip("the qd binary is not built") }
        self.tmux = tmux
        self.home = home
        let command = (["env", "HOME=\(home.path)", "NO_COLOR=1", "TERM=xterm", qd] + arguments).map { "'\($0)'" }.joined(separator: " ")
        try run(["new-session", "-d", "-s", "qd", "-x", "120", "-y", "40", command])
    }

    /// Runs tmux through the shell (popen/system rather than Process: the tmux server it may start
    /// outlives the call and must not inherit a pipe the test waits on).
    @discardableResult
    private func run(_ args: [String]) throws -> String {
        let quoted = ([tmux, "-L", socket] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        if args.first == "new-session" {
            let status = system(quoted + " >/dev/null 2>&1 </dev/null")
            guard status == 0 else { throw XCTSkip("tmux could not start a session (status \(status))") }
            return ""
        }
        guard let f = popen(quoted + " 2>/dev/null", "r") else { return "" }
        var out = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        pclose(f)
        return String(decoding: out, as: UTF8.self)
    }

    /// Types `keys` (tmux key names such as "Enter", "Tab", "C-c", "Up", or literal text).
    func send(_ keys: String...) throws {
        for k in keys {
            let literal = !["Enter", "Tab", "C-c", "C-d", "Up", "Down", "Escape"].contains(k)
            try run(["send-keys", "-t", "qd"] + (literal ? ["-l", k] : [k]))
            usleep(50_000)
        }
    }

    /// The visible screen.
    func screen() throws -> String { try run(["capture-pane", "-t", "qd", "-p"]) }

    /// Waits until the screen satisfies `condition` (at most `timeout` seconds); returns the screen.
    @discardableResult
    func waitFor(_ timeout: Double = 20, _ what: String, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var s = ""
        while Date() < deadline {
            s = try screen()
            if condition(s) { return s }
            usleep(100_000)
        }
        XCTFail("timed out waiting for \(what); the screen shows:\n\(s)")
        return s
    }

    func close() { _ = try? run(["kill-server"]) }
}
