import Foundation
import XCTest

extension XCTestCase {
    /// A fresh, empty folder under the temporary directory (`prefix`-UUID) for the files a test's
    /// scripts write; it is removed when the test ends.
    func scratchDirectory(_ prefix: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }
}
