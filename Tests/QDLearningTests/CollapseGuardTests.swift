import XCTest
import QDLearning
import QDTensor

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

    /// A run whose step sizes are set huge after healthy epochs collapses; after two epochs the
    /// guard returns it to the trusted state with the outer rate halved, and a checkpoint carries
    /// the guard. With the guard off the collapse stays.
    func testARunPushedIntoCollapseReturnsToTheTrustedState() throws {
        var rng = SeededRandom(seed: 11)
        let images = Tensor<Float>.normal([30, 1, 2, 2], using: &rng)
        let labels = (0..<30).map { b in (0..<3).max { images.values[4 * b + $0] < images.values[4 * b + $1] }! }
        let data = Dataset(name: "rule", images: images, labels: labels, classes: 3)
        for guarded in [true, false] {
            var settings = DistillationSettings()
            settings.realBatch = 10  // 3 iterations per epoch; the guard looks at each epoch's last loss
            settings.distiller.distillLearningRate = 0.5
            settings.recoverFromCollapse = guarded
            let run = try DistillationRun(model: TinyNet(), data: data, settings: settings)
            var healthyStates: [Distiller<TinyNet, Float>.State] = []
            while healthyStates.count < 2 && run.epoch < 300 {
                try run.run(iterations: 3)
                if run.losses.last! < 0.75 * log(3.0) { healthyStates.append(run.distiller.state()) }
            }
            XCTAssertEqual(healthyStates.count, 2, "fewer than two healthy epochs in 300")
            var broken = run.distiller.state()
            broken.rawRates = broken.rawRates.map { _ in 1000 }
            try run.distiller.restore(broken)
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
