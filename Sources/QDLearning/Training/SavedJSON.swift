import Foundation

/// The JSON that checkpoints, distilled data and saved models are written in: keys sorted, so that
/// the same state always gives the same bytes (a dictionary's order otherwise changes from one
/// process to the next).
public enum SavedJSON {
    /// Writes `value` as JSON with sorted keys to `url`, atomically.
    public static func write<T: Encodable>(_ value: T, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(value).write(to: url, options: .atomic)
    }
}
