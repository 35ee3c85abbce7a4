import XCTest
import QDSimulator

/// Adjoint gradients against central finite differences and against parameter shift, on random
/// circuits with amplitude-embedded inputs, angle inputs, controlled rotations and random observables.
final class GradientTests: XCTestCase {
    /// A random circuit on `n` wires: amplitude embedding of 2^n − 3 features, angle-input gates,
    /// and every parametric gate kind, plain, controlled and adjoint. Returns it and its θ count.
    func randomCircuit(qubits n: Int, rng: inout TestRandom) throws -> Circuit {
        var c = try Circuit(qubits: n)
        let features = (1 << n) - 3
        try c.amplitudeEmbedding(features: 0..<features, wires: Array(0..<n), pad: 0.3)
        var slot = 0
        func next() -> Parameter { defer { slot += 1 }; return .trainable(slot) }
        for layer in 0..<3 {
            for w in 0..<n {
                try c.rot(next(), next(), next(), w)
                try c.apply(.u3, [w], parameters: [next(), next(), .constant(0.2)], adjoint: layer == 1)
            }
            try c.crx(next(), layer % n, (layer + 1) % n)
            try c.cry(next(), (layer + 1) % n, layer % n)
            try c.crz(next(), 0, n - 1)
            try c.apply(.phaseShift, [1], controls: [0], parameters: [next()])
            try c.apply(.rot, [layer % n], controls: [(layer + 2) % n], parameters: [next(), next(), next()])
            try c.cnot(layer % n, (layer + 2) % n)
            try c.ry(.input(features - 1 - layer), layer % n)   // per-sample angle
            try c.rz(next(), 2)
            try c.swap(0, n - 1)
            try c.unitary(rng.unitary(4), [1, 2])
        }
        try c.ry(.trainable(0), n - 1)  // a slot shared by two gates
        return c
    }

    func observables(qubits n: Int, rng: inout TestRandom) throws -> ([Observable], Int) {
        var h = rng.unitary(4)
        h = h + h.adjoint
        let obs: [Observable] = [
            .pauli([PauliTerm(0.7, [(0, .z), (2, .x)]), PauliTerm(-0.4, [(1, .y)]), PauliTerm(0.3, [])]),
            .pauli([PauliTerm(1.3, [(0, .z), (2, .z)]), PauliTerm(-0.6, [(1, .z)])]),
            .hermitian(h, wires: [n - 1, 0]),
            .trainableHermitian(wires: [1], offset: 0),
            .trainableHermitian(wires: [2, 0], offset: 8),
        ]
        return (obs, 8 + 32)
    }

    struct Problem {
        var circuit: Circuit
        var observables: [Observable]
        var theta: [Double]
        var obsParams: [Double]
        var inputs: [Double]
        var batch: Int
        var features: Int
        var upstream: [Double]

        func loss(_ sim: Simulator, theta: [Double]? = nil, obsParams: [Double]? = nil, inputs: [Double]? = nil) throws -> Double {
            let x = try Inputs(batch: batch, features: features, values: inputs ?? self.inputs)
            let e = try sim.expectations(circuit, observables: observables, trainable: theta ?? self.theta,
                                         observableParameters: obsParams ?? self.obsParams, inputs: x)
            return zip(e.values, upstream).reduce(0) { $0 + $1.0 * $1.1 }
        }
    }

    func makeProblem(qubits n: Int, batch: Int, seed: UInt64) throws -> Problem {
        var rng = TestRandom(seed)
        let c = try randomCircuit(qubits: n, rng: &rng)
        let (obs, nObs) = try observables(qubits: n, rng: &rng)
        return Problem(circuit: c, observables: obs,
                       theta: (0..<c.trainableCount).map { _ in rng.uniform(-3, 3) },
                       obsParams: (0..<nObs).map { _ in rng.normal() },
                       inputs: (0..<(batch * c.inputCount)).map { _ in rng.normal() },
                       batch: batch, features: c.inputCount,
                       upstream: (0..<(batch * obs.count)).map { _ in rng.normal() })
    }

    func centralDifference(_ f: (Double) throws -> Double, at x: Double, h: Double = 1e-5) rethrows -> Double {
        (try f(x + h) - f(x - h)) / (2 * h)
    }

    func testAdjointMatchesFiniteDifferencesForParametersInputsAndObservables() throws {
        // batch 9 ≥ 8 also takes the one-pass path for Z-only Pauli terms
        for threads in [1, 2] {
            let p = try makeProblem(qubits: 4, batch: 9, seed: 11)
            let sim = Simulator(threads: threads)
            let (_, g) = try sim.vectorJacobianProduct(p.circuit, observables: p.observables, trainable: p.theta,
                                                        observableParameters: p.obsParams,
                                                        inputs: Inputs(batch: p.batch, features: p.features, values: p.inputs),
                                                        upstream: p.upstream)
            for k in p.theta.indices {
                let fd = try centralDifference({ v in var t = p.theta; t[k] = v; return try p.loss(sim, theta: t) }, at: p.theta[k])
                XCTAssertEqual(g.trainable[k], fd, accuracy: 1e-7, "θ\(k), threads \(threads)")
            }
            for k in p.obsParams.indices {
                let fd = try centralDifference({ v in var q = p.obsParams; q[k] = v; return try p.loss(sim, obsParams: q) }, at: p.obsParams[k])
                XCTAssertEqual(g.observable[k], fd, accuracy: 1e-7, "observable parameter \(k)")
            }
            for k in p.inputs.indices {
                let fd = try centralDifference({ v in var x = p.inputs; x[k] = v; return try p.loss(sim, inputs: x) }, at: p.inputs[k])
                XCTAssertEqual(g.inputs[k], fd, accuracy: 1e-7, "input \(k)")
            }
        }
    }

    func testAdjointMatchesParameterShift() throws {
        let p = try makeProblem(qubits: 3, batch: 2, seed: 12)
        let sim = Simulator(threads: 1)
        let x = try Inputs(batch: p.batch, features: p.features, values: p.inputs)
        let (_, g) = try sim.vectorJacobianProduct(p.circuit, observables: p.observables, trainable: p.theta,
                                                    observableParameters: p.obsParams, inputs: x, upstream: p.upstream)
        let shift = try sim.parameterShiftGradient(p.circuit, observables: p.observables, trainable: p.theta,
                                                   observableParameters: p.obsParams, inputs: x, upstream: p.upstream)
        for k in p.theta.indices { XCTAssertEqual(g.trainable[k], shift[k], accuracy: 1e-10, "θ\(k)") }
    }

    func testDifferentiatingLessGivesTheSameGradientsAndEmptiesTheRest() throws {
        let p = try makeProblem(qubits: 4, batch: 6, seed: 17)
        var amplitudeOnly = p
        // the same problem without per-sample angles, so inputs alone take the λ-only sweep
        var c = try Circuit(qubits: 4)
        try c.amplitudeEmbedding(features: 0..<13, wires: [0, 1, 2, 3], pad: 0.3)
        try c.stronglyEntanglingLayers(layers: 2, wires: [0, 1, 2, 3])
        amplitudeOnly.circuit = c
        amplitudeOnly.theta = Array(p.theta.prefix(c.trainableCount))
        amplitudeOnly.features = 13
        amplitudeOnly.inputs = (0..<6).flatMap { b in p.inputs[(b * p.features)..<(b * p.features + 13)] }
        for q in [p, amplitudeOnly] {
            let sim = Simulator(threads: 1)
            let x = try Inputs(batch: q.batch, features: q.features, values: q.inputs)
            let (_, all) = try sim.vectorJacobianProduct(q.circuit, observables: q.observables, trainable: q.theta,
                                                          observableParameters: q.obsParams, inputs: x, upstream: q.upstream)
            for target in [DifferentiationTargets.trainable, .observable, .inputs] {
                let (_, some) = try sim.vectorJacobianProduct(q.circuit, observables: q.observables, trainable: q.theta,
                                                               observableParameters: q.obsParams, inputs: x, upstream: q.upstream, wrt: target)
                XCTAssertEqual(some.trainable.isEmpty, target != .trainable)
                XCTAssertEqual(some.observable.isEmpty, target != .observable)
                XCTAssertEqual(some.inputs.isEmpty, target != .inputs)
                let expected = target == .trainable ? all.trainable : (target == .observable ? all.observable : all.inputs)
                let got = target == .trainable ? some.trainable : (target == .observable ? some.observable : some.inputs)
                XCTAssertEqual(expected.count, got.count)
                for (a, b) in zip(expected, got) { XCTAssertEqual(a, b, accuracy: 1e-12) }
            }
        }
    }

    func testStateGradientIsTheDerivativeWithRespectToInitialAmplitudes() throws {
        var rng = TestRandom(13)
        var c = try Circuit(qubits: 3)
        try c.stronglyEntanglingLayers(layers: 2, wires: [0, 1, 2])
        let theta = (0..<c.trainableCount).map { _ in rng.uniform(-3, 3) }
        let psi = rng.state(qubits: 3)
        let obs: [Observable] = [.z(0), .pauli([PauliTerm(1, [(1, .x), (2, .y)])])]
        let g = [0.6, -1.3]
        let sim = Simulator(threads: 1)
        func loss(_ v: [Complex]) throws -> Double {
            let e = try sim.expectations(c, observables: obs, trainable: theta, initialState: StateBatch(amplitudes: [v]))
            return g[0] * e[0, 0] + g[1] * e[0, 1]
        }
        let (_, grad) = try sim.vectorJacobianProduct(c, observables: obs, trainable: theta,
                                                       initialState: StateBatch(amplitudes: [psi]), upstream: g)
        let stateGradient = try XCTUnwrap(grad.state)
        for a in 0..<8 {
            let fdRe = try centralDifference({ v in var s = psi; s[a].re = v; return try loss(s) }, at: psi[a].re)
            let fdIm = try centralDifference({ v in var s = psi; s[a].im = v; return try loss(s) }, at: psi[a].im)
            XCTAssertEqual(stateGradient.amplitude(item: 0, index: a).re, fdRe, accuracy: 1e-8)
            XCTAssertEqual(stateGradient.amplitude(item: 0, index: a).im, fdIm, accuracy: 1e-8)
        }
    }

    func testCacheBlockedChunksMatchOneFullBatchRun() throws {
        // Tiny cache blocks force many column chunks (and a ragged last one) through every path:
        // prepared inputs, per-sample angles, initial states, final states and state gradients.
        let p = try makeProblem(qubits: 4, batch: 13, seed: 15)
        let x = try Inputs(batch: p.batch, features: p.features, values: p.inputs)
        let whole = Simulator(threads: 1)
        let (e1, g1) = try whole.vectorJacobianProduct(p.circuit, observables: p.observables, trainable: p.theta,
                                                        observableParameters: p.obsParams, inputs: x, upstream: p.upstream)
        for threads in [1, 2] {
            let chunked = Simulator(threads: threads)
            chunked.cacheBlockBytes = 16 * 16 * 2 * 3   // three columns per chunk
            let (e2, g2) = try chunked.vectorJacobianProduct(p.circuit, observables: p.observables, trainable: p.theta,
                                                              observableParameters: p.obsParams, inputs: x, upstream: p.upstream)
            for (a, b) in zip(e1.values, e2.values) { XCTAssertEqual(a, b, accuracy: 1e-12) }
            for (a, b) in zip(g1.trainable + g1.observable + g1.inputs, g2.trainable + g2.observable + g2.inputs) {
                XCTAssertEqual(a, b, accuracy: 1e-10)
            }
        }
        var rng = TestRandom(16)
        var c = try Circuit(qubits: 3)
        try c.stronglyEntanglingLayers(layers: 2, wires: [0, 1, 2])
        let theta = (0..<c.trainableCount).map { _ in rng.uniform(-3, 3) }
        let psi = try StateBatch(amplitudes: (0..<11).map { _ in rng.state(qubits: 3) })
        let up = (0..<22).map { _ in rng.normal() }
        let chunked = Simulator(threads: 2)
        chunked.cacheBlockBytes = 8 * 16 * 2 * 2
        XCTAssertEqual(try chunked.state(c, trainable: theta, initialState: psi).re,
                       try whole.state(c, trainable: theta, initialState: psi).re)
        let (_, a) = try whole.vectorJacobianProduct(c, observables: [.z(0), .z(2)], trainable: theta, initialState: psi, upstream: up)
        let (_, b) = try chunked.vectorJacobianProduct(c, observables: [.z(0), .z(2)], trainable: theta, initialState: psi, upstream: up)
        for (u, v) in zip(try XCTUnwrap(a.state).re + a.state!.im, try XCTUnwrap(b.state).re + b.state!.im) {
            XCTAssertEqual(u, v, accuracy: 1e-12)
        }
    }

    func testAdjointSweepFromKeptFinalStatesGivesTheSameBits() throws {
        // expectationsAndFinalState keeps the forward run's states, and the VJP started from them
        // skips the second forward run: the same expectations and gradients, bit for bit, whole or
        // in column chunks, at one thread or two, and the kept states are left as they were (so
        // they can be swept from twice). Only the adjoint run is counted the second time.
        let p = try makeProblem(qubits: 4, batch: 13, seed: 17)
        let x = try Inputs(batch: p.batch, features: p.features, values: p.inputs)
        for (threads, block) in [(1, 512 * 1024), (2, 512 * 1024), (1, 16 * 16 * 2 * 3), (2, 16 * 16 * 2 * 3)] {
            let sim = Simulator(threads: threads)
            sim.cacheBlockBytes = block
            let (e1, g1) = try sim.vectorJacobianProduct(p.circuit, observables: p.observables, trainable: p.theta,
                                                          observableParameters: p.obsParams, inputs: x, upstream: p.upstream)
            let (e0, final) = try sim.expectationsAndFinalState(p.circuit, observables: p.observables, trainable: p.theta,
                                                                 observableParameters: p.obsParams, inputs: x)
            XCTAssertEqual(e0.values, e1.values)
            XCTAssertEqual(final, try sim.state(p.circuit, trainable: p.theta, inputs: x))
            sim.counter.reset()
            for _ in 0..<2 {
                let (e2, g2) = try sim.vectorJacobianProduct(p.circuit, observables: p.observables, trainable: p.theta,
                                                              observableParameters: p.obsParams, inputs: x, finalState: final, upstream: p.upstream)
                XCTAssertEqual(e2.values, e1.values, "threads \(threads), block \(block)")
                XCTAssertEqual(g2.trainable, g1.trainable)
                XCTAssertEqual(g2.observable, g1.observable)
                XCTAssertEqual(g2.inputs, g1.inputs)
            }
            XCTAssertEqual(sim.counter.forward, 0)
            XCTAssertEqual(sim.counter.adjoint, 2 * p.batch)
        }
        let sim = Simulator(threads: 1)
        let wrong = try StateBatch(qubits: 3, batch: p.batch)
        XCTAssertThrowsError(try sim.vectorJacobianProduct(p.circuit, observables: p.observables, trainable: p.theta, observableParameters: p.obsParams,
                                                           inputs: x, finalState: wrong, upstream: p.upstream)) {
            XCTAssertTrue("\($0)".contains("final state has 3 qubits × batch 13; the circuit needs 4 qubits"), "\($0)")
        }
    }

    func testThreadedRunsMatchSerialForBatchesAndLargeStates() throws {
        // Column split (batch 512) and split gate loops (one 16-qubit state) against one thread.
        for (n, batch) in [(4, 512), (16, 1)] {
            var rng = TestRandom(14)
            var c = try Circuit(qubits: n)
            try c.amplitudeEmbedding(features: 0..<(1 << n), wires: Array(0..<n))
            try c.stronglyEntanglingLayers(layers: 2, wires: Array(0..<n))
            try c.crx(.trainable(0), 0, n - 1)
            let theta = (0..<c.trainableCount).map { _ in rng.uniform(-3, 3) }
            let x = try Inputs(batch: batch, features: 1 << n, values: (0..<(batch << n)).map { _ in rng.normal() })
            let obs: [Observable] = (0..<n).map { .z($0) } + [.trainableHermitian(wires: [1], offset: 0)]
            let q = (0..<8).map { _ in rng.normal() }
            let up = (0..<(batch * obs.count)).map { _ in rng.normal() }
            let (e1, g1) = try Simulator(threads: 1).vectorJacobianProduct(c, observables: obs, trainable: theta, observableParameters: q, inputs: x, upstream: up)
            let (e2, g2) = try Simulator(threads: 2).vectorJacobianProduct(c, observables: obs, trainable: theta, observableParameters: q, inputs: x, upstream: up)
            for (a, b) in zip(e1.values, e2.values) { XCTAssertEqual(a, b, accuracy: 1e-12) }
            for (a, b) in zip(g1.trainable, g2.trainable) { XCTAssertEqual(a, b, accuracy: 1e-9) }
            for (a, b) in zip(g1.observable, g2.observable) { XCTAssertEqual(a, b, accuracy: 1e-9) }
            for (a, b) in zip(g1.inputs, g2.inputs) { XCTAssertEqual(a, b, accuracy: 1e-9) }
        }
    }
}
