import Foundation
import XCTest
import QDLearning

/// A file that cannot be read back (missing, empty, malformed, a field missing or of the wrong
/// type) is an error that names the file, the field or the line and column.
final class SavedJSONTests: XCTestCase {
    private struct Probe: Decodable {
        struct State: Decodable { let images: [Double] }
        let iteration: Int
        let state: State
    }

    /// The message `SavedJSON.read` gives for a file holding `text`, without the file's path.
    private func message(reading text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qd-saved-\(UUID().uuidString).json")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try SavedJSON.read(Probe.self, from: url, what: "a probe")
            XCTFail("\(text) should not read")
            return ""
        } catch let e as DataError {
            XCTAssertEqual(e.file, url.path)
            return e.message
        }
    }

    func testMalformedFilesAreErrorsNamingTheFieldOrThePlace() throws {
        XCTAssertEqual(try message(reading: ""), "not a probe: not valid JSON (the file is empty)")
        // the second comma of line 2 is its 28th character
        XCTAssertEqual(try message(reading: "{\"iteration\": 1,\n \"state\": {\"images\": [1, 2,, 3]}}"),
                       "not a probe: not valid JSON (invalid value at line 2, column 28)")
        XCTAssertEqual(try message(reading: #"{"iteration": 1}"#), "not a probe: the field 'state' is missing")
        XCTAssertEqual(try message(reading: #"{"iteration": 1, "state": {}}"#), "not a probe: the field 'state.images' is missing")
        XCTAssertEqual(try message(reading: #"{"iteration": "x", "state": {"images": []}}"#),
                       "not a probe: the field 'iteration' should hold Int but holds a string")
        XCTAssertEqual(try message(reading: #"{"iteration": 1, "state": {"images": [1, null]}}"#),
                       "not a probe: the field 'state.images[1]' is null; it should hold Double")
        XCTAssertEqual(try message(reading: "[1]"), "not a probe: the file should hold a JSON object but holds an array")
    }

    /// Distilled data whose image shape overflows or is negative or empty, or whose labels are
    /// negative, is refused when read (an overflowing shape once stopped the program).
    func testDistilledDataWithImpossibleShapesOrLabelsIsAnError() throws {
        let good = DistilledData(model: "tiny", imageShape: [1, 2, 2], images: [Float](repeating: 0.5, count: 8), labels: [0, 1],
                                 stepSizes: [0.1], steps: 1, seed: 7)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qd-distilled-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try good.save(to: url)
        XCTAssertEqual(try DistilledData.load(from: url), good)
        var cases: [(DistilledData, String)] = []
        for shape in [[Int.max, 2], [1, 2, Int.min], [4611686018427387904, 2, 2], [1, 0, 2]] {
            var d = good
            d.imageShape = shape
            cases.append((d, "inconsistent distilled dataset: 8 values for 2 images of \(shape)"))
        }
        var negative = good
        negative.labels = [0, -1]
        cases.append((negative, "label 1 is -1"))
        for (d, message) in cases {
            try d.save(to: url)
            XCTAssertThrowsError(try DistilledData.load(from: url)) { XCTAssertTrue("\($0)".contains(message), "\($0)") }
        }
    }

    func testAMissingFileIsAnErrorNamingIt() {
        let url = URL(fileURLWithPath: "/nonexistent/qd-probe.json")
        XCTAssertThrowsError(try SavedJSON.read(Probe.self, from: url, what: "a probe")) {
            XCTAssertEqual(($0 as? DataError)?.file, url.path)
            XCTAssertEqual(($0 as? DataError)?.message.hasPrefix("cannot read: "), true, "\($0)")
        }
    }
}
