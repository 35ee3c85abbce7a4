import XCTest
import QDLearning

/// The collapse guard as a state machine on known loss sequences, and inside a run pushed into
/// collapse, against the states it should return to.
final class CollapseGuardTests: XCTestCase {
    /// Feeds (tail mean, last loss) per epoch, the state being the epoch number; returns the decisions.
    private func feed(_ epochs: [(Double, Double)], into g: inout CollapseGuard<Int>) -> [CollapseGuard<Int>.Decision] {
        epochs.enumerated().map { i, e in g.endEpoch(i + 1, iteration: 10 * (i + 1), tailMean: e.0, lastLoss: e.1, classes: 10, state: i + 1) }
    }

    func testLossesHoveringNearAUniformGuessNeverArmIt() {
        var g = CollapseGuard<Int>()
        let decisions = feed([(2.2, 2.2), (2.4, 2.4), (2.5, 2.6), (2.1, 2.0), (2.6, 2.6), (2.6, 2.7), (2.7, 2.7)], into: &g)
        XCTAssertEqual(decisions, Array(repeating: .proceed, count: 7))
        XCTAssertEqual(g.rateScale, 1)
        XCTAssertEqual(g.recoveries, [])
    }

    func testTwoCollapsedEpochsReturnToTheSecondToLastHealthyState() {
        var g = CollapseGuard<Int>()
        let decisions = feed([(2.2, 2.2), (1.0, 1.0), (1.2, 1.1), (1.1, 1.0), (2.7, 2.7), (2.8, 2.7)], into: &g)
        XCTAssertEqual(decisions.last, .restore(.init(epoch: 3, state: 3)))
        XCTAssertEqual(Array(decisions.dropLast()), Array(repeating: .proceed, count: 5))
        XCTAssertEqual(g.rateScale, 0.5)
        XCTAssertEqual(g.recoveries, [60])
        // collapsing again before a healthy epoch returns to the same state, at a quarter of the rate
        XCTAssertEqual(feed([(2.7, 2.7), (2.7, 2.7)], into: &g).last, .restore(.init(epoch: 3, state: 3)))
        XCTAssertEqual(g.rateScale, 0.25)
    }

    func testASpikeThatRecoversWithinAnEpochIsLeftAlone() {
        var g = CollapseGuard<Int>()
        let decisions = feed([(1.0, 1.0), (1.0, 1.0), (2.7, 2.7), (1.0, 1.0), (2.7, 2.7), (1.2, 1.2)], into: &g)
        XCTAssertEqual(decisions, Array(repeating: .proceed, count: 6))
        XCTAssertEqual(g.rateScale, 1)
    }

    func testAnEpochEndingOnACollapsedLossIsNotKept() {
        var g = CollapseGuard<Int>()
        // epoch 3's tail looks healthy but its last loss is already a uniform guess's
        let decisions = feed([(1.0, 1.0), (1.0, 1.0), (1.5, 2.6), (2.7, 2.7), (2.7, 2.7)], into: &g)
        XCTAssertEqual(decisions.last, .restore(.init(epoch: 1, state: 1)))
    }

    /// The CIFAR-10 quantum LeNet with a Pauli-Z readout (commit dcecb31, before the bar was
    /// 0.9·ln C): (tail mean, last loss) of its 21 epochs, which fell to 1.85 by epoch 9, drifted
    /// back up and sat at ln 10 from epoch 16. The guard arms at epoch 5 (2.04 < 0.9·ln 10 = 2.07),
    /// keeps epochs 5 to 12, and at the second collapsed epoch (17) returns to epoch 11, the
    /// second-to-last healthy one.
    func testASlowCifarCollapseIsCaught() {
        var g = CollapseGuard<Int>()
        let epochs = [(2.3020, 2.2968), (2.2776, 2.2772), (2.2064, 2.2021), (2.1260, 2.1355), (2.0428, 2.0509),
                      (1.9792, 1.9763), (1.8875, 1.8789), (1.8672, 1.8664), (1.8460, 1.8394), (1.8546, 1.8644),
                      (1.9671, 2.0200), (1.9276, 1.9481), (2.1635, 2.2729), (2.2264, 2.2259), (2.1569, 2.1535),
                      (2.3341, 2.3403), (2.3058, 2.3016)]
        let decisions = feed(epochs, into: &g)
        XCTAssertEqual(decisions.last, .restore(.init(epoch: 11, state: 11)))
        XCTAssertEqual(Array(decisions.dropLast()), Array(repeating: .proceed, count: 16))
        XCTAssertEqual(g.recoveries, [170])
        XCTAssertEqual(g.rateScale, 0.5)
    }

    /// A run whose step sizes are set huge after healthy epochs collapses; after two epochs the
    /// guard returns it to the trusted state with the outer rate halved, and a checkpoint carries
    /// the guard. With the guard off the collapse stays.
    func testARunPushedIntoCollapseReturnsToTheTrustedState() throws {
        let data = try TinyRun.data()
        for guarded in [true, false] {
            let run = try TinyRun.run(on: data, recoverFromCollapse: guarded)  // 3 iterations per epoch
            var healthyStates: [Distiller<TinyNet, Float>.State] = []
            while healthyStates.count < 2 && run.epoch < 300 {
                try run.run(iterations: 3)
                if run.losses.last! < CollapseGuard<Int>.healthyFraction * log(3.0) { healthyStates.append(run.distiller.state()) }
            }
            XCTAssertEqual(healthyStates.count, 2, "fewer than two healthy epochs in 300")
            try TinyRun.wreckStepSizes(of: run)
            try run.run(iterations: 3)
            XCTAssertGreaterThanOrEqual(run.losses.last!, log(3.0), "the sabotage did not collapse the run")
            XCTAssertEqual(run.recoveries, [], "one collapsed epoch is within the guard's patience")
            try run.run(iterations: 3)
            if guarded {
                XCTAssertEqual(run.recoveries, [run.iteration])
                XCTAssertEqual(run.rateScale, 0.5)
                XCTAssertEqual(run.distiller.state(), healthyStates[0])
                XCTAssertEqual(run.currentLearningRate, 0.005)
                let url = FileManager.default.temporaryDirectory.appendingPathComponent("qd-guard-\(UUID().uuidString).json")
                defer { try? FileManager.default.removeItem(at: url) }
                try run.save(to: url, modelName: "tiny")
                let resumed = try DistillationRun(model: TinyNet(), data: data, checkpoint: DistillationRun<TinyNet>.loadCheckpoint(from: url))
                XCTAssertEqual(resumed.collapseGuard, run.collapseGuard)
                try run.run(iterations: 6)
                try resumed.run(iterations: 6)
                XCTAssertEqual(resumed.distiller.state(), run.distiller.state())
            } else {
                XCTAssertEqual(run.recoveries, [])
                XCTAssertEqual(run.rateScale, 1)
                XCTAssertNotEqual(run.distiller.state(), healthyStates[0])
            }
        }
    }
}
