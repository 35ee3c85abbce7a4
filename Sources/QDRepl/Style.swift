import Foundation

/// ANSI colour on a terminal, plain text otherwise, and none at all when NO_COLOR is set.
struct Style {
    let enabled: Bool

    /// Colour for a stream when it is a terminal and NO_COLOR is unset or empty.
    init(fileDescriptor: Int32) {
        let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        enabled = isatty(fileDescriptor) != 0 && !noColor
    }

    private func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
    func error(_ s: String) -> String { wrap(s, "31") }
    func result(_ s: String) -> String { wrap(s, "36") }
    func note(_ s: String) -> String { wrap(s, "2") }
    func bold(_ s: String) -> String { wrap(s, "1") }
}
