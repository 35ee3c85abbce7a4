import XCTest
import QDSimulator

/// A simulator reuses the gates it lowered for an earlier run only when the circuit, the angles and
/// the batch width all match: every run on one long-lived simulator must give, bit for bit, what a
/// fresh simulator gives.
final class LoweringCacheTests: XCTestCase {
    /// Amplitude embedding of 8 features on 3 wires, then two strongly entangling layers on
    /// `wires` (the quantum LeNet's shape: no gate reads a per-sample input).
    func layerCircuit(wires: [Int]) throws -> Circuit {
        var c = try Circuit(qubits: 3)
        try c.amplitudeEmbedding(features: 0..<8, wires: [0, 1, 2])
        try c.stronglyEntanglingLayers(layers: 2, wires: wires)
        return c
    }

    func run(_ sim: Simulator, _ circuit: Circuit, theta: [Double], batch: Int, rng: inout TestRandom) throws -> (Expectations, Gradients) {
        let observables: [Observable] = [.z(0), .trainableHermitian(wires: [1], offset: 0)]
        let inputs = try Inputs(batch: batch, features: 8, values: (0..<(batch * 8)).map { _ in rng.uniform() })
        let hermitian = (0..<8).map { _ in rng.uniform() }
        let upstream = (0..<(batch * 2)).map { _ in rng.uniform() }
        return try sim.vectorJacobianProduct(circuit, observables: observables, trainable: theta, observableParameters: hermitian,
                                             inputs: inputs, upstream: upstream)
    }

    func testEveryRunOnOneSimulatorMatchesAFreshSimulator() throws {
        var rng = TestRandom(5)
        let a = try layerCircuit(wires: [0, 1, 2]), b = try layerCircuit(wires: [2, 0, 1])
        XCTAssertEqual(a.trainableCount, b.trainableCount)
        let theta = (0..<a.trainableCount).map { _ in rng.uniform(-3, 3) }
        var nudged = theta
        nudged[7] += 0.25
        let runs: [(String, Circuit, [Double], Int)] = [
            ("first run", a, theta, 4),
            ("the same circuit, angles and width again", a, theta, 4),
            ("one angle changed", a, nudged, 4),
            ("another batch width", a, nudged, 3),
            ("another circuit with as many angles", b, nudged, 3),
            ("back to the first", a, theta, 4),
        ]
        let shared = Simulator(threads: 1)
        for (label, circuit, angles, batch) in runs {
            var sameDraws = rng
            let (e, g) = try run(shared, circuit, theta: angles, batch: batch, rng: &rng)
            let (e0, g0) = try run(Simulator(threads: 1), circuit, theta: angles, batch: batch, rng: &sameDraws)
            XCTAssertEqual(e.values, e0.values, label)
            XCTAssertEqual(g.trainable, g0.trainable, label)
            XCTAssertEqual(g.observable, g0.observable, label)
            XCTAssertEqual(g.inputs, g0.inputs, label)
        }
    }
}
