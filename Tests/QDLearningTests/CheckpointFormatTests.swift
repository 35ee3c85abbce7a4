import Foundation
import XCTest
import QDLearning
import QDTensor

/// Checkpoints pack their long arrays of numbers (base64 of the IEEE bytes) and read back
/// exactly; files with plain arrays, as written before, still read.
final class CheckpointFormatTests: XCTestCase {
    func testACheckpointPacksItsArraysAndReadsBackExactly() throws {
        let data = try TinyRun.data()
        let run = try TinyRun.run(on: data, recoverFromCollapse: true)
        try run.run(iterations: 7)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qd-format-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try run.save(to: url, modelName: "tiny")

        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        XCTAssertEqual(json["format"] as? String, "qd-distillation-checkpoint-2")
        let state = try XCTUnwrap(json["state"] as? [String: Any])
        XCTAssertTrue(state["images"] is String, "images should be packed")
        XCTAssertTrue((state["imageOptimizer"] as? [String: Any])?["m"] is String, "Adam's moments should be packed")

        let loaded = try DistillationRun<TinyNet>.loadCheckpoint(from: url)
        XCTAssertEqual(loaded.state, run.distiller.state())
        XCTAssertEqual(loaded.iteration, 7)
        XCTAssertEqual(loaded.bestEpoch, run.bestEpoch)
        XCTAssertEqual(loaded.collapseGuard, run.collapseGuard)
    }

    func testPlainArraysAsWrittenBeforeStillRead() throws {
        let plain = #"{"m": [0.5, -0.0, 5e-324, 3], "v": [1, 2, 3, 4], "t": 9}"#
        let state = try JSONDecoder().decode(Adam<Float>.State.self, from: Data(plain.utf8))
        XCTAssertEqual(state, Adam<Float>.State(m: [0.5, -0.0, .leastNonzeroMagnitude, 3], v: [1, 2, 3, 4], t: 9))
        // and the packed form of the same state carries every bit, the sign of zero and subnormals included
        let again = try JSONDecoder().decode(Adam<Float>.State.self, from: JSONEncoder().encode(state))
        XCTAssertEqual(again.m.map(\.bitPattern), state.m.map(\.bitPattern))
        XCTAssertEqual(again.v, state.v)
    }

    func testCorruptPackedArraysAreErrorsNamingTheField() {
        let corrupt = #"{"m": "not base64!", "v": [1], "t": 1}"#
        XCTAssertThrowsError(try JSONDecoder().decode(Adam<Float>.State.self, from: Data(corrupt.utf8))) {
            XCTAssertTrue("\($0)".contains("m is neither an array of numbers nor base64 of 8-byte numbers"), "\($0)")
        }
    }
}
