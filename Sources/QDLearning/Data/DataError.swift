/// A data file that cannot be used. Messages name the file, what was expected and what was found.
public struct DataError: Error, Equatable, CustomStringConvertible {
    /// The file (or dataset) the error is about.
    public let file: String
    /// What was expected and what was found.
    public let message: String

    /// An error about `file`.
    public init(file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
