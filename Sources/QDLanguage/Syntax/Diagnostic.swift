/// A located message about a script: a syntax or runtime error, rendered as
///
///     file.qd:3:7: error: unknown name 'thta'; did you mean 'theta'?
///         ry(thta) 0
///            ^
///       called from layer at file.qd:10:5
public struct Diagnostic: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file the location refers to.
    public var file: String
    /// Where it happened.
    public var location: SourceLocation
    /// What happened, naming the valid range or the expected type where there is one.
    public var message: String
    /// The call trace, innermost first: `(function name, call location)`.
    public var trace: [TraceEntry]

    /// One frame of a runtime call trace.
    public struct TraceEntry: Equatable, Sendable {
        /// The function called.
        public var function: String
        /// The file of the call.
        public var file: String
        /// Where it was called.
        public var location: SourceLocation
    }

    /// A diagnostic without a trace.
    public init(file: String, location: SourceLocation, message: String, trace: [TraceEntry] = []) {
        self.file = file
        self.location = location
        self.message = message
        self.trace = trace
    }

    /// `file:line:col: error: message`, without the quoted line.
    public var description: String { "\(file):\(location.line):\(location.column): error: \(message)" }

    /// The full rendering: the header, the source line with a caret under the column, and the trace.
    public func rendered(source: SourceFile?) -> String {
        var out = description
        if let source, source.name == file {
            var text = Array(source.line(location.line))
            var column = location.column
            // Long lines are shown as a window around the column.
            if text.count > 120 {
                let start = max(0, min(column - 60, text.count - 120))
                text = (start > 0 ? Array("…") : []) + Array(text[start..<min(text.count, start + 120)]) + (start + 120 < text.count ? Array("…") : [])
                column -= start - (start > 0 ? 1 : 0)
            }
            if !text.isEmpty {
                let pad = String(text.prefix(max(0, column - 1)).map { $0 == "\t" ? "\t" : " " })
                out += "\n    \(String(text))\n    \(pad)^"
            }
        }
        for t in trace { out += "\n  called from \(t.function) at \(t.file):\(t.location.line):\(t.location.column)" }
        return out
    }
}

/// Every error found in one pass over a file (the parser recovers and keeps going).
public struct DiagnosticList: Error, Sendable, CustomStringConvertible {
    /// The diagnostics, in source order.
    public var diagnostics: [Diagnostic]

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
