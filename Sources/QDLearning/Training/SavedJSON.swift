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

    /// Reads a `T` from the JSON file at `url`. A ``DataError`` names the file and says what went
    /// wrong and where: "cannot read: …", "not <what>: not valid JSON (… at line 3, column 14)",
    /// "not <what>: the field 'state.images' is missing", "… the field 'iteration' should hold an
    /// Int but holds a string".
    public static func read<T: Decodable>(_ type: T.Type, from url: URL, what: String) throws -> T {
        let bytes: Data
        do { bytes = try Data(contentsOf: url) } catch { throw DataError(file: url.path, "cannot read: \(error.localizedDescription)") }
        do {
            return try JSONDecoder().decode(T.self, from: bytes)
        } catch let error as DecodingError {
            throw DataError(file: url.path, "not \(what): \(explain(error, in: bytes))")
        }
    }

    /// A decoding failure in words, with the field's path (`state.images[3]`), or for malformed
    /// JSON the line and column where the parser stopped.
    private static func explain(_ error: DecodingError, in bytes: Data) -> String {
        func path(_ keys: [CodingKey]) -> String {
            keys.enumerated().map { i, k in k.intValue.map { "[\($0)]" } ?? (i == 0 ? k.stringValue : ".\(k.stringValue)") }.joined()
        }
        switch error {
        case .keyNotFound(let key, let c):
            return "the field '\(path(c.codingPath + [key]))' is missing"
        case .typeMismatch(let type, let c):
            let found = c.debugDescription.range(of: "but found ").map { " but holds " + c.debugDescription[$0.upperBound...].replacingOccurrences(of: " instead.", with: "") } ?? ""
            return c.codingPath.isEmpty ? "the file should hold a JSON object\(found)" : "the field '\(path(c.codingPath))' should hold \(type)\(found)"
        case .valueNotFound(let type, let c):
            return "the field '\(path(c.codingPath))' is null; it should hold \(type)"
        case .dataCorrupted(let c) where c.codingPath.isEmpty:
            return "not valid JSON (\(parserMessage(bytes)))"
        case .dataCorrupted(let c):
            return "the field '\(path(c.codingPath))': \(c.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// Where JSONSerialization stops on malformed JSON, its "around character N" given as a line
    /// and column (both from 1).
    private static func parserMessage(_ bytes: Data) -> String {
        guard bytes.contains(where: { !Character(UnicodeScalar($0)).isWhitespace }) else { return "the file is empty" }
        do {
            _ = try JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed])
            return "the parser gave no detail"
        } catch {
            let detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)").trimmingCharacters(in: CharacterSet(charactersIn: "."))
            guard let range = detail.range(of: "around character "), let offset = Int(detail[range.upperBound...]) else { return detail.lowercasedFirst }
            let before = bytes.prefix(offset), line = before.reduce(1) { $0 + ($1 == 10 ? 1 : 0) }
            let column = offset - (before.lastIndex(of: 10).map { $0 + 1 } ?? 0) + 1
            return "\(detail[..<range.lowerBound].lowercasedFirst)at line \(line), column \(column)"
        }
    }
}

private extension StringProtocol {
    /// The string with its first letter in lower case ("Invalid value" → "invalid value").
    var lowercasedFirst: String { prefix(1).lowercased() + dropFirst() }
}
