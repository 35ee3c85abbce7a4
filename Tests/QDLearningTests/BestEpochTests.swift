import XCTest
import QDLearning

/// The best-epoch keeper on known loss sequences, and inside a run made worse on purpose, against
/// epoch means and states recorded independently by the test.
final class BestEpochTests: XCTestCase {
    func testKeepsTheLowestFiniteMeanAndTheEarlierOfTies() {
        var keeper = BestEpoch<Int>()
        XCTAssertNil(keeper.best)
        for (epoch, loss) in [2.3, 1.5, .nan, 1.7, 1.5, -.infinity, 1.2, 1.3, 1.2].enumerated() {
            keeper.endEpoch(epoch + 1, meanLoss: loss, state: 100 + epoch + 1)
        }
        XCTAssertEqual(keeper.best, BestEpoch<Int>.Kept(epoch: 7, meanLoss: 1.2, state: 107))
    }

    func testTheStateIsOnlyTakenWhenKept() {
        var keeper = BestEpoch<Int>()
        var taken = 0
        func state(_ s: Int) -> Int { taken += 1; return s }
        keeper.endEpoch(1, meanLoss: 1, state: state(1))
        keeper.endEpoch(2, meanLoss: 2, state: state(2))
        XCTAssertEqual(taken, 1)
    }

    /// A run whose step sizes are wrecked after a few epochs gets worse; it keeps the state at the
    /// end of the epoch whose mean loss (computed here from `losses`) is lowest, `restoreBestEpoch`
    /// moves the distiller there without touching the iteration count, and a checkpoint carries it.
    func testARunMadeWorseKeepsAndRestoresItsBestEpoch() throws {
        let data = try TinyRun.data()
        let run = try TinyRun.run(on: data, recoverFromCollapse: false)  // 3 iterations per epoch
        XCTAssertNil(try run.restoreBestEpoch())
        var statesAtEpochEnds: [Distiller<TinyNet, Float>.State] = []
        for _ in 0..<6 {
            try run.run(iterations: 3)
            statesAtEpochEnds.append(run.distiller.state())
        }
        try TinyRun.wreckStepSizes(of: run)
        for _ in 0..<2 {
            try run.run(iterations: 3)
            statesAtEpochEnds.append(run.distiller.state())
        }
        let means = (0..<8).map { e in run.losses[(3 * e)..<(3 * e + 3)].reduce(0, +) / 3 }
        let bestIndex = means.indices.min { means[$0] < means[$1] }!
        XCTAssertLessThan(bestIndex, 6, "the wrecked epochs should be worse: \(means)")
        XCTAssertEqual(run.bestEpoch.best?.epoch, bestIndex + 1)
        XCTAssertEqual(run.bestEpoch.best?.meanLoss ?? .nan, means[bestIndex], accuracy: 1e-12)

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qd-best-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try run.save(to: url, modelName: "tiny")
        let resumed = try DistillationRun(model: TinyNet(), data: data, checkpoint: DistillationRun<TinyNet>.loadCheckpoint(from: url))
        XCTAssertEqual(resumed.bestEpoch, run.bestEpoch)

        let kept = try run.restoreBestEpoch()
        XCTAssertEqual(kept?.epoch, bestIndex + 1)
        XCTAssertEqual(run.distiller.state(), statesAtEpochEnds[bestIndex])
        XCTAssertEqual(run.iteration, 24)
    }
}
