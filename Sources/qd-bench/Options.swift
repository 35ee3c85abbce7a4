import Foundation

/// qd-bench's command line: `--name value` pairs. An unknown name, a missing value or a value
/// outside its option's range ends the program with a message naming the option and the range
/// (exit status 2), instead of falling back on the default.
struct BenchOptions {
    /// The usage line, printed with every command-line error.
    static let usage = "usage: qd-bench [--threads T] [--workloads \(knownWorkloads)] [--ns 4,8,...] [--batch B] [--n-batch n] [--target-s S] [--min-reps R] [--max-reps M] [--warmup W] [--cache-block-bytes N] [--data DIR] [--epochs E] [--outer-slice N] [--avx512 on|off]"

    /// Every option name qd-bench reads.
    static let names: Set<String> = ["threads", "workloads", "ns", "batch", "n-batch", "target-s", "min-reps", "max-reps", "warmup",
                                     "cache-block-bytes", "data", "epochs", "outer-slice", "avx512"]

    private var values: [String: String] = [:]

    /// The options in `arguments` (the program name excluded).
    init(_ arguments: ArraySlice<String>) {
        var rest = arguments
        while let key = rest.popFirst() {
            let name = String(key.dropFirst(2))
            guard key.hasPrefix("--"), Self.names.contains(name) else { Self.fail("unknown option '\(key)'") }
            guard let value = rest.popFirst() else { Self.fail("--\(name) needs a value") }
            values[name] = value
        }
    }

    /// Prints `message` and the usage line to standard error and exits with status 2.
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("qd-bench: \(message)\n\(usage)\n".utf8))
        exit(2)
    }

    /// The text of option `name`, or nil when it is absent.
    func string(_ name: String) -> String? { values[name] }

    /// The integer option `name` in `range`, or `fallback` when it is absent.
    func int(_ name: String, _ fallback: Int, in range: ClosedRange<Int>) -> Int {
        guard let text = values[name] else { return fallback }
        guard let v = Int(text), range.contains(v) else { Self.fail("--\(name) needs an integer in \(range); got '\(text)'") }
        return v
    }

    /// The optional integer option `name` in `range`.
    func optionalInt(_ name: String, in range: ClosedRange<Int>) -> Int? {
        values[name] == nil ? nil : int(name, 0, in: range)
    }

    /// The comma-separated integers of option `name`, each in `range`, or `fallback`.
    func ints(_ name: String, _ fallback: [Int], in range: ClosedRange<Int>) -> [Int] {
        guard let text = values[name] else { return fallback }
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
        guard !items.isEmpty, items.allSatisfy({ $0.map(range.contains) ?? false }) else {
            Self.fail("--\(name) needs comma-separated integers in \(range); got '\(text)'")
        }
        return items.map { $0! }
    }

    /// The number option `name`, finite and > 0, or `fallback`.
    func positive(_ name: String, _ fallback: Double) -> Double {
        guard let text = values[name] else { return fallback }
        guard let v = Double(text), v.isFinite, v > 0 else { Self.fail("--\(name) needs a finite number > 0; got '\(text)'") }
        return v
    }

    /// Option `name` as on (true) or off (false), or nil when it is absent.
    func onOff(_ name: String) -> Bool? {
        guard let text = values[name] else { return nil }
        guard text == "on" || text == "off" else { Self.fail("--\(name) is on or off; got '\(text)'") }
        return text == "on"
    }
}
