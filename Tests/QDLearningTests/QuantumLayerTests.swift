import XCTest
import QDLearning
import QDSimulator
import QDTensor

/// The differentiable quantum layer against the native simulator (values and adjoint gradients),
/// and its second derivatives against finite differences.
final class QuantumLayerTests: XCTestCase {
    func testMatchesTheNativeSimulatorInValueAndGradient() throws {
        for (n, layers, features) in [(6, 3, 64), (4, 2, 13), (3, 2, 8)] {
            var rng = SeededRandom(seed: UInt64(10 * n + layers))
            let layer = try QuantumLayer(qubits: n, layers: layers)
            let batch = 5
            let h = Tensor<Double>.normal([batch, features], using: &rng)
            let angles = Tensor<Double>.uniform([layer.angleCount], low: 0, high: 2 * .pi, using: &rng)
            let herm = Tensor<Double>.normal([layer.hermitianCount], using: &rng)
            let upstream = Tensor<Double>.normal([batch, n], using: &rng)

            // the tensor form, against a circuit built and run on the native simulator directly
            let (hl, al, pl) = (h.requiringGrad(), angles.requiringGrad(), herm.requiringGrad())
            let q = try layer.differentiable(hl, angles: al, hermitian: pl)
            let grads = try Autograd.gradients(of: (q * upstream).sum(), wrt: [hl, al, pl])

            var c = try Circuit(qubits: n)
            try c.amplitudeEmbedding(features: 0..<features, wires: Array(0..<n))
            try c.stronglyEntanglingLayers(layers: layers, wires: Array(0..<n))
            let obs = (0..<n).map { Observable.trainableHermitian(wires: [$0], offset: 8 * $0) }
            let (e, g) = try Simulator(threads: 1).vectorJacobianProduct(
                c, observables: obs, trainable: angles.values, observableParameters: herm.values,
                inputs: Inputs(batch: batch, features: features, values: h.values), upstream: upstream.values)
            for (a, b) in zip(q.values, e.values) { XCTAssertEqual(a, b, accuracy: 1e-12, "n=\(n): value") }
            for (a, b) in zip(grads[0].values, g.inputs) { XCTAssertEqual(a, b, accuracy: 1e-10, "n=\(n): input gradient") }
            for (a, b) in zip(grads[1].values, g.trainable) { XCTAssertEqual(a, b, accuracy: 1e-10, "n=\(n): angle gradient") }
            for (a, b) in zip(grads[2].values, g.observable) { XCTAssertEqual(a, b, accuracy: 1e-10, "n=\(n): Hermitian gradient") }
        }
    }

    func testFastFirstOrderPathAgreesWithTheDifferentiablePath() throws {
        // Gradients come from the simulator's adjoint, recorded as an operation when createGraph is
        // on. They must agree with the tensor form, and so must the forward values.
        let layer = try QuantumLayer(qubits: 6, layers: 3)
        var rng = SeededRandom(seed: 21)
        let h = Tensor<Double>.normal([4, 64], using: &rng).requiringGrad()
        let angles = Tensor<Double>.uniform([layer.angleCount], low: 0, high: 6, using: &rng).requiringGrad()
        let herm = Tensor<Double>.normal([layer.hermitianCount], using: &rng).requiringGrad()
        let seed = Tensor<Double>.normal([4, 6], using: &rng)
        let q = try layer(h, angles: angles, hermitian: herm)
        for (a, b) in zip(q.values, try layer.differentiable(h, angles: angles, hermitian: herm).values) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        let fast = try Autograd.gradients(of: q, wrt: [h, angles, herm], seed: seed)
        let exact = try Autograd.gradients(of: q, wrt: [h, angles, herm], seed: seed, createGraph: true)
        XCTAssertTrue(exact.allSatisfy(\.requiresGrad), "gradients taken with createGraph can be differentiated again")
        for (f, e) in zip(fast, exact) { for (a, b) in zip(f.values, e.values) { XCTAssertEqual(a, b, accuracy: 1e-10) } }
    }

    func testSecondDerivativesMatchFiniteDifferences() throws {
        let layer = try QuantumLayer(qubits: 3, layers: 2)
        var rng = SeededRandom(seed: 4)
        let inputs = [Tensor<Double>.normal([2, 8], using: &rng),
                      Tensor<Double>.uniform([layer.angleCount], low: 0, high: 6, using: &rng),
                      Tensor<Double>.normal([layer.hermitianCount], using: &rng)]
        let f = { (x: [Tensor<Double>]) throws -> Tensor<Double> in try layer(x[0], angles: x[1], hermitian: x[2]) }
        XCTAssertLessThan(try GradCheck.gradientError(inputs, f), 1e-6)
        XCTAssertLessThan(try GradCheck.secondGradientError(inputs, f), 1e-4)
    }

    func testEveryEmbeddingAndReadoutMatchesTheSimulator() throws {
        // The simulator path (forward and adjoint gradients) against the tensor form, per variant.
        let variants: [(QuantumLayer.Embedding, QuantumLayer.Readout, Int)] = [
            (.angle, .hermitian(wires: 1), 4), (.denseAngle, .hermitian(wires: 2), 8), (.amplitude, .hermitian(wires: 2), 16),
            (.amplitude, .pauliZ, 11), (.angle, .pauliZ, 3), (.amplitude, .hermitian(wires: 4), 16),
        ]
        for (k, (embedding, readout, features)) in variants.enumerated() {
            var rng = SeededRandom(seed: UInt64(100 + k))
            let (layer, h, angles, herm) = try randomVariant(embedding, readout, features: features, rng: &rng)
            let seed = Tensor<Double>.normal([3, layer.outputCount], using: &rng)
            let fast = try layer(h, angles: angles, hermitian: herm)
            let exact = try layer.differentiable(h, angles: angles, hermitian: herm)
            XCTAssertEqual(fast.shape, [3, layer.outputCount])
            for (a, b) in zip(fast.values, exact.values) { XCTAssertEqual(a, b, accuracy: 1e-12, "\(embedding) \(readout): value") }
            let g1 = try Autograd.gradients(of: fast, wrt: [h, angles, herm], seed: seed)
            let g2 = try Autograd.gradients(of: exact, wrt: [h, angles, herm], seed: seed)
            for (x, y) in zip(g1, g2) { for (a, b) in zip(x.values, y.values) { XCTAssertEqual(a, b, accuracy: 1e-10, "\(embedding) \(readout): gradient") } }
        }
    }

    /// A layer of `embedding` and `readout` on 4 qubits with 2 layers, and random features
    /// [3, features], angles and Hermitian parameters (leaves of the graph) drawn from `rng`.
    private func randomVariant(_ embedding: QuantumLayer.Embedding, _ readout: QuantumLayer.Readout, features: Int, batch: Int = 3,
                               rng: inout SeededRandom) throws -> (QuantumLayer, Tensor<Double>, Tensor<Double>, Tensor<Double>) {
        let layer = try QuantumLayer(qubits: 4, layers: 2, embedding: embedding, readout: readout)
        let h = Tensor<Double>.normal([batch, features], using: &rng).requiringGrad()
        let angles = Tensor<Double>.uniform([layer.angleCount], low: 0, high: 6, using: &rng).requiringGrad()
        let herm = Tensor<Double>.normal([layer.hermitianCount], using: &rng).requiringGrad()
        return (layer, h, angles, herm)
    }

    func testVariantSecondDerivativesMatchFiniteDifferences() throws {
        let layer = try QuantumLayer(qubits: 2, layers: 1, embedding: .denseAngle, readout: .hermitian(wires: 2))
        var rng = SeededRandom(seed: 5)
        let inputs = [Tensor<Double>.normal([2, 4], using: &rng),
                      Tensor<Double>.uniform([layer.angleCount], low: 0, high: 6, using: &rng),
                      Tensor<Double>.normal([layer.hermitianCount], using: &rng)]
        let f = { (x: [Tensor<Double>]) throws -> Tensor<Double> in try layer(x[0], angles: x[1], hermitian: x[2]) }
        XCTAssertLessThan(try GradCheck.gradientError(inputs, f), 1e-6)
        XCTAssertLessThan(try GradCheck.secondGradientError(inputs, f), 1e-4)
    }

    /// Second derivatives of every variant: the fused forward-over-reverse rule against
    /// reverse-over-reverse through the tensor form. For L = Σ u ⊙ ∂⟨g, q⟩/∂(h, angles, hermitian),
    /// ∂L/∂(h, angles, hermitian) is a Hessian-vector product and ∂L/∂g = J·u.
    func testForwardOverReverseMatchesTheTensorFormForEveryVariant() throws {
        let variants: [(QuantumLayer.Embedding, QuantumLayer.Readout, Int)] = [
            (.amplitude, .hermitian(wires: 1), 16), (.amplitude, .hermitian(wires: 2), 11), (.angle, .hermitian(wires: 1), 4),
            (.denseAngle, .hermitian(wires: 2), 7), (.amplitude, .pauliZ, 16), (.angle, .pauliZ, 3),
        ]
        // the fused rule runs four samples at a time, one per SIMD lane: batches that fill the
        // lanes, leave some empty, and span several groups
        let batches = [3, 6, 4, 9, 1, 5]
        for (k, (embedding, readout, features)) in variants.enumerated() {
            var rng = SeededRandom(seed: UInt64(300 + k))
            let (layer, h, angles, herm) = try randomVariant(embedding, readout, features: features, batch: batches[k], rng: &rng)
            let g = Tensor<Double>.normal([batches[k], layer.outputCount], using: &rng).requiringGrad()
            let u = Tensor<Double>.normal([h.count + angles.count + herm.count], using: &rng)
            func secondOrder(_ q: Tensor<Double>) throws -> [Tensor<Double>] {
                let first = try Autograd.gradients(of: q, wrt: [h, angles, herm], seed: g.detached, createGraph: true)
                let weighted = try Autograd.gradients(of: (q * g).sum(), wrt: [h, angles, herm], createGraph: true)
                let flat = try Tensor.concatenated(weighted.map { try $0.reshaped([-1]) }, axis: 0)
                XCTAssertEqual(first.map(\.values), weighted.map(\.values))
                return try Autograd.gradients(of: (flat * u).sum(), wrt: [h, angles, herm, g])
            }
            let fused = try secondOrder(layer(h, angles: angles, hermitian: herm))
            let reference = try secondOrder(layer.differentiable(h, angles: angles, hermitian: herm))
            for (name, (x, y)) in zip(["h", "angles", "hermitian", "g"], zip(fused, reference)) {
                XCTAssertEqual(x.shape, y.shape)
                let scale = max(1, y.values.map(abs).max() ?? 0)
                for (a, b) in zip(x.values, y.values) { XCTAssertEqual(a, b, accuracy: 1e-10 * scale, "\(embedding) \(readout): \(name)") }
            }
            XCTAssertGreaterThan(fused[1].values.map(abs).max()!, 1e-3, "the angles receive second-order signal")
        }
    }

    /// A third derivative (past the fused rule, through the tensor form) against the tensor form alone.
    func testThirdDerivativesAgreeWithTheTensorForm() throws {
        let layer = try QuantumLayer(qubits: 2, layers: 1)
        var rng = SeededRandom(seed: 9)
        let h = Tensor<Double>.normal([2, 4], using: &rng).requiringGrad()
        let angles = Tensor<Double>.uniform([layer.angleCount], low: 0, high: 6, using: &rng).requiringGrad()
        let herm = Tensor<Double>.normal([layer.hermitianCount], using: &rng).requiringGrad()
        func third(_ q: Tensor<Double>) throws -> Tensor<Double> {
            let g1 = try Autograd.gradients(of: q.squared().sum(), wrt: [angles], createGraph: true)[0]
            let g2 = try Autograd.gradients(of: g1.squared().sum(), wrt: [angles], createGraph: true)[0]
            return try Autograd.gradients(of: g2.squared().sum(), wrt: [angles])[0]
        }
        let fused = try third(layer(h, angles: angles, hermitian: herm))
        let reference = try third(layer.differentiable(h, angles: angles, hermitian: herm))
        for (a, b) in zip(fused.values, reference.values) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b))) }
    }

    func testSmallAndLargeBatchesRunTheSameLayer() throws {
        // Batches up to laneBatchLimit run on the straight-line lane program, larger ones on the
        // native simulator. A large batch's values and gradients must match those of the same
        // samples run as small batches, in every variant: the features' gradients row by row, and
        // the parameters' gradients summed over the small batches.
        let variants: [(QuantumLayer.Embedding, QuantumLayer.Readout, Int)] = [
            (.amplitude, .hermitian(wires: 1), 16), (.amplitude, .hermitian(wires: 2), 11), (.angle, .pauliZ, 4), (.denseAngle, .hermitian(wires: 1), 7),
        ]
        let large = QuantumLayer.laneBatchLimit + 7
        for (k, (embedding, readout, features)) in variants.enumerated() {
            var rng = SeededRandom(seed: UInt64(400 + k))
            let (layer, h, angles, herm) = try randomVariant(embedding, readout, features: features, batch: large, rng: &rng)
            let seed = Tensor<Double>.normal([large, layer.outputCount], using: &rng)
            let whole = try layer(h, angles: angles, hermitian: herm)
            let wholeGradients = try Autograd.gradients(of: whole, wrt: [h, angles, herm], seed: seed)
            var values: [Double] = [], featureGradients: [Double] = []
            var parameterGradients = [[Double](repeating: 0, count: angles.count), [Double](repeating: 0, count: herm.count)]
            for rows in stride(from: 0, to: large, by: 10).map({ $0..<min(large, $0 + 10) }) {
                let part = try h.detached.sliced(axis: 0, rows).requiringGrad()
                let q = try layer(part, angles: angles, hermitian: herm)
                let g = try Autograd.gradients(of: q, wrt: [part, angles, herm], seed: seed.sliced(axis: 0, rows))
                values += q.values
                featureGradients += g[0].values
                for i in 0..<2 { parameterGradients[i] = zip(parameterGradients[i], g[i + 1].values).map(+) }
            }
            let place = "\(embedding) \(readout)"
            for (a, b) in zip(whole.values, values) { XCTAssertEqual(a, b, accuracy: 1e-12, "\(place): value") }
            for (a, b) in zip(wholeGradients[0].values, featureGradients) { XCTAssertEqual(a, b, accuracy: 1e-10, "\(place): feature gradient") }
            for i in 0..<2 {
                for (a, b) in zip(wholeGradients[i + 1].values, parameterGradients[i]) { XCTAssertEqual(a, b, accuracy: 1e-9, "\(place): parameter gradient") }
            }
        }
    }

    func testBadNumbersAreErrorsNamingThePlaceOnBothPaths() throws {
        // A sample of norm 0, a NaN feature, angle or Hermitian parameter, and a NaN upstream
        // gradient: each an error naming its place, from the lane program and the simulator alike.
        let layer = try QuantumLayer(qubits: 3, layers: 1)
        for batch in [2, QuantumLayer.laneBatchLimit + 1] {
            let rows = [Double](repeating: 0.5, count: batch * 8)
            func h(_ edit: (inout [Double]) -> Void) throws -> Tensor<Double> {
                var values = rows
                edit(&values)
                return try Tensor<Double>(shape: [batch, 8], values: values)
            }
            func nan(at i: Int, count: Int) throws -> Tensor<Double> {
                var values = [Double](repeating: 0.1, count: count)
                values[i] = .nan
                return Tensor<Double>(vector: values)
            }
            let place = "batch \(batch)"
            XCTAssertThrowsError(try layer(h { for i in 8..<16 { $0[i] = 0 } }, angles: .zeros([9]), hermitian: .zeros([24])), place) {
                XCTAssertTrue("\($0)".contains("1 has norm 0.0") && "\($0)".contains("nonzero finite"), "\($0)")
            }
            XCTAssertThrowsError(try layer(h { $0[11] = .nan }, angles: .zeros([9]), hermitian: .zeros([24])), place) {
                XCTAssertTrue("\($0)".contains("1, feature 3 is nan; inputs must be finite"), "\($0)")
            }
            XCTAssertThrowsError(try layer(h { _ in }, angles: nan(at: 4, count: 9), hermitian: .zeros([24])), place) {
                XCTAssertTrue("\($0)".contains("4 is nan; parameters must be finite"), "\($0)")
            }
            XCTAssertThrowsError(try layer(h { _ in }, angles: .zeros([9]), hermitian: nan(at: 5, count: 24)), place) {
                XCTAssertTrue("\($0)".contains("parameter 5 is nan; parameters must be finite"), "\($0)")
            }
            let angles = Tensor<Double>.zeros([9]).requiringGrad()
            let q = try layer(h { _ in }, angles: angles, hermitian: .zeros([24]))
            var seed = [Double](repeating: 1, count: batch * 3)
            seed[2] = .nan
            XCTAssertThrowsError(try Autograd.gradients(of: q, wrt: [angles], seed: Tensor(shape: [batch, 3], values: seed)), place) {
                XCTAssertTrue("\($0)".contains("upstream gradient entry 2 is nan; it must be finite"), "\($0)")
            }
        }
    }

    func testBadShapesNameWhatIsExpected() throws {
        let layer = try QuantumLayer(qubits: 3, layers: 1)
        XCTAssertThrowsError(try layer(Tensor<Double>.ones([2, 9]), angles: .zeros([9]), hermitian: .zeros([24]))) {
            XCTAssertTrue("\($0)".contains("1 ≤ F ≤ 2^3 = 8"))
        }
        XCTAssertThrowsError(try layer(Tensor<Double>.ones([2, 8]), angles: .zeros([8]), hermitian: .zeros([24]))) {
            XCTAssertTrue("\($0)".contains("needs angles [9]"))
        }
        XCTAssertThrowsError(try QuantumLayer(qubits: 0, layers: 1))
        // a saved model asking for 2⁶³ − 1 layers once overflowed the parameter count
        XCTAssertThrowsError(try QuantumLeNet(qubits: 6, layers: .max)) {
            XCTAssertTrue("\($0)".contains("layers 9223372036854775807 in 1...100"), "\($0)")
        }
        XCTAssertThrowsError(try QuantumLayer(qubits: 6, layers: 1, readout: .hermitian(wires: 4))) {
            XCTAssertTrue("\($0)".contains("valid: 1, 2, 3, 6"), "\($0)")
        }
    }
}

/// The quantum LeNet: size, initialisation, and second derivatives through the whole network.
final class QuantumLeNetTests: XCTestCase {
    func testParameterCountAndInitialisation() throws {
        let model = try QuantumLeNet()
        XCTAssertEqual(model.layout.count, 59_369)
        let p: Tensor<Double> = model.initialParameters(seed: 3)
        let alpha = model.layout.entry("alpha")!
        XCTAssertEqual(p.values[alpha.offset], 0.5)
        let herm = model.layout.entry("quantum.hermitian")!
        let h = p.values[herm.offset..<(herm.offset + herm.count)]
        XCTAssertGreaterThan(h.map(abs).max()!, 0.5, "N(0, 1) Hermitian parameters")
        XCTAssertEqual(try model.forward(Tensor<Float>.zeros([2, 1, 28, 28]) + 0.1, parameters: model.initialParameters(seed: 3)).shape, [2, 10])
        XCTAssertEqual(try QuantumLeNet(input: .cifar10).forward(Tensor<Float>.ones([1, 3, 32, 32]),
                                                                 parameters: QuantumLeNet(input: .cifar10).initialParameters(seed: 1)).shape, [1, 10])
    }

    func testVariantParameterCounts() throws {
        func count(_ edit: (inout QuantumLeNet.Options) -> Void) throws -> Int {
            var o = QuantumLeNet.Options()
            edit(&o)
            return try QuantumLeNet(options: o).layout.count
        }
        XCTAssertEqual(try count { _ in }, 59_369)
        XCTAssertEqual(try count { $0.hermitian = .pauliZ }, 59_369 - 48)
        XCTAssertEqual(try count { $0.hermitian = .frozen }, 59_369)
        XCTAssertEqual(try count { $0.residual = false }, 59_369 - 650 - 1)
        XCTAssertEqual(try count { $0.readoutWires = 2 }, 59_369 - 48 + 3 * 32 - 30)     // 3 outputs: fc3 is 10×3
        XCTAssertEqual(try count { $0.embedding = .angle }, 59_369 - 58 * 121 - 58 * 10)   // F = 6: fc2 6×120 + 6, fc_res 10×6
    }

    /// With q-path a = fc3(q) and residual r = ReLU(fc_res(h)) fixed, the logits are affine in α:
    /// y = W(α·a + w·r) + b. With w = 1 − α, y(0) = W·r + b and y(1) = W·a + b; with w = 0.5 (the
    /// reference code's), y(0) = (y₁₋α(0) + b)/2 and y(1) = y₁₋α(1) + (y₁₋α(0) − b)/2, checked on
    /// the logits of the two variants alone (b is fc_final's bias).
    func testTheResidualWeightIsOneMinusAlphaOrHalf() throws {
        var half = QuantumLeNet.Options()
        half.residualWeight = .half
        let paper = try QuantumLeNet(), reference = try QuantumLeNet(options: half)
        XCTAssertEqual(paper.layout.count, reference.layout.count)
        var rng = SeededRandom(seed: 8)
        let x = Tensor<Double>.normal([3, 1, 28, 28], using: &rng)
        let start: Tensor<Double> = paper.initialParameters(seed: 5)
        let alpha = paper.layout.entry("alpha")!.offset, bias = paper.layout.entry("fc_final.bias")!
        let b = Array(start.values[bias.offset..<(bias.offset + bias.count)])
        func logits(_ model: QuantumLeNet, alpha a: Double) throws -> [Double] {
            var values = start.values
            values[alpha] = a
            return try model.forward(x, parameters: Tensor(vector: values)).values
        }
        let (p0, p1) = (try logits(paper, alpha: 0), try logits(paper, alpha: 1))
        let (r0, r1) = (try logits(reference, alpha: 0), try logits(reference, alpha: 1))
        for k in 0..<p0.count {
            let bk = b[k % 10]
            XCTAssertEqual(r0[k], (p0[k] + bk) / 2, accuracy: 1e-12)
            XCTAssertEqual(r1[k], p1[k] + (p0[k] - bk) / 2, accuracy: 1e-12)
        }
        XCTAssertEqual(try logits(paper, alpha: 0.5), try logits(reference, alpha: 0.5), "at α = 0.5 both weights are 0.5")
        XCTAssertGreaterThan(zip(p1, r1).map { abs($0 - $1) }.max()!, 1e-3, "the residual path must contribute")
    }

    func testFrozenBlocksKeepTheirValuesThroughTraining() throws {
        var o = QuantumLeNet.Options()
        o.hermitian = .frozen
        o.trainAngles = false
        let model = try QuantumLeNet(options: o)
        XCTAssertEqual(model.frozenBlocks, ["quantum.hermitian", "quantum.angles"])
        var rng = SeededRandom(seed: 1)
        let data = try Dataset(name: "noise", images: Tensor<Float>.normal([16, 1, 28, 28], using: &rng), labels: (0..<16).map { $0 % 10 }, classes: 10)
        let start: Tensor<Float> = model.initialParameters(seed: 4)
        let trained = try Trainer.train(model, parameters: start, on: data, epochs: 1, batchSize: 8, optimizer: SGD<Float>(learningRate: 0.1), seed: 2)
        for name in ["quantum.hermitian", "quantum.angles", "fc1.weight"] {
            let e = model.layout.entry(name)!
            let same = start.values[e.offset..<(e.offset + e.count)] == trained.values[e.offset..<(e.offset + e.count)]
            XCTAssertEqual(same, name != "fc1.weight", name)
        }
    }

    func testHessianVectorProductThroughTheQuantumLayerMatchesFiniteDifferences() throws {
        // What the distillation meta-gradient needs: H·v of the loss, every parameter included.
        let model = try QuantumLeNet()
        var rng = SeededRandom(seed: 12)
        let x = Tensor<Double>.normal([3, 1, 28, 28], using: &rng)
        let labels = [2, 7, 1]
        let theta: Tensor<Double> = model.initialParameters(seed: 2)
        let v = Tensor<Double>.normal([model.layout.count], using: &rng)
        // a small step: with 59,369 parameters moved at once, 1e-5 already crosses ReLU and
        // max-pool kinks (where the gradient jumps); Float64 leaves ample precision at 1e-7
        let (hv, fd) = try hessianVectorProducts(model, x: x, labels: labels, theta: theta, v: v, epsilon: 1e-7)
        let scale = fd.values.map(abs).max()!
        for (a, b) in zip(hv.values, fd.values) { XCTAssertEqual(a, b, accuracy: 1e-5 * scale) }
        // the quantum parameters really receive second-order signal
        let angles = model.layout.entry("quantum.angles")!
        XCTAssertGreaterThan(hv.values[angles.offset..<(angles.offset + angles.count)].map(abs).max()!, 1e-6)
    }
}

/// Circuit-execution accounting: the analytic counts, and the simulator's measured counts when a
/// quantum LeNet trains on distilled data.
final class ExecutionCostTests: XCTestCase {
    func testParameterShiftCountsFollowTheRules() throws {
        let paper = try QuantumLayer(qubits: 6, layers: 3)
        // 3 bases × (1 forward + 2 × (54 angles + 63 amplitude-preparation angles)) = 705 per image and step
        XCTAssertEqual(ExecutionCost.training(paper, imagesPerStep: 10, steps: 3),
                       ExecutionCost(simulatorForward: 30, simulatorAdjoint: 30, parameterShift: 30 * 705))
        XCTAssertEqual(ExecutionCost.training(paper, imagesPerStep: 1, steps: 1, trainAngles: false).parameterShift, 3 * (1 + 2 * 63))
        let pauli = try QuantumLayer(qubits: 4, layers: 2, embedding: .angle, readout: .pauliZ)
        XCTAssertEqual(ExecutionCost.training(pauli, imagesPerStep: 5, steps: 2).parameterShift, 10 * (1 + 2 * (24 + 4)))
        let pairs = try QuantumLayer(qubits: 4, layers: 1, readout: .hermitian(wires: 2))
        XCTAssertEqual(ExecutionCost.training(pairs, imagesPerStep: 1, steps: 1).parameterShift, 9 * (1 + 2 * (12 + 15)))
    }

    func testTrainingOnDistilledDataRunsExactlyTheCountedCircuits() throws {
        let model = try QuantumLeNet()
        var rng = SeededRandom(seed: 3)
        let data = DistilledData(model: "qlenet", imageShape: [1, 28, 28], images: (0..<(20 * 784)).map { _ in Float(rng.normal()) },
                                 labels: (0..<20).map { $0 % 10 }, stepSizes: [0.02, 0.01, 0.01, 0.005], steps: 2, seed: 3)
        ExecutionCost.resetMeasured()
        _ = try data.train(model, from: model.initialParameters(seed: 1) as Tensor<Float>)
        let measured = ExecutionCost.measured
        let expected = ExecutionCost.training(model.quantum, imagesPerStep: 10, steps: 4)
        XCTAssertEqual(measured.forward, expected.simulatorForward)
        XCTAssertEqual(measured.adjoint, expected.simulatorAdjoint)
    }
}
