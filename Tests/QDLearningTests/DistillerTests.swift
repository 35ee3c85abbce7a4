import Foundation
import XCTest
import QDLearning
import QDTensor

/// A tiny network for meta-gradient checks: x [B, 1, 2, 2] → tanh(x·W₁ᵀ + b₁) → ·W₂ᵀ + b₂ → 3 classes.
struct TinyNet: Model {
    let layout: ParameterLayout
    let inputShape = [1, 2, 2]
    let classes = 3

    init() {
        var l = ParameterLayout()
        l.add("w1", [5, 4]); l.add("b1", [5]); l.add("w2", [3, 5]); l.add("b2", [3])
        layout = l
    }

    func forward<S: TensorScalar>(_ x: Tensor<S>, parameters p: Tensor<S>) throws -> Tensor<S> {
        let h = try x.reshaped([x.shape[0], 4]).linear(layout.view("w1", in: p), layout.view("b1", in: p)).tanh()
        return try h.linear(layout.view("w2", in: p), layout.view("b2", in: p))
    }
}

/// The distiller's meta-gradient against finite differences, and its outer loop.
final class DistillerTests: XCTestCase {
    func testMetaGradientMatchesFiniteDifferences() throws {
        // Through T = 2 steps × 2 epochs = 4 unrolled inner steps, with 2 images per class.
        let model = TinyNet()
        var config = Distiller<TinyNet, Double>.Configuration()
        (config.imagesPerClass, config.steps, config.epochs, config.distillLearningRate) = (2, 2, 2, 0.3)
        let distiller = try Distiller<TinyNet, Double>(model: model, configuration: config, seed: 1)
        var rng = SeededRandom(seed: 2)
        let theta0: Tensor<Double> = model.initialParameters(seed: 3)
        let real = Tensor<Double>.normal([12, 1, 2, 2], using: &rng)
        let realLabels = (0..<12).map { $0 % 3 }
        // the outer loss runs in slices of 5, 5 and 2 real images; finite differences see the whole batch
        distiller.outerSlice = 5
        let (loss, gx, gr, _) = try distiller.metaGradient(initial: theta0, realImages: real, realLabels: realLabels)

        func outerLoss(images: Tensor<Double>, rates: Tensor<Double>) throws -> Double {
            let theta = try distiller.unroll(from: theta0, images: images, rawRates: rates, keepGraph: false)
            return try model.forward(real, parameters: theta).crossEntropy(labels: realLabels).item
        }
        XCTAssertEqual(loss, try outerLoss(images: distiller.images, rates: distiller.rawRates), accuracy: 1e-12)
        let eps = 1e-6
        for k in [0, 5, 17, 30, 47] {
            var plus = distiller.images.values, minus = plus
            plus[k] += eps; minus[k] -= eps
            let fd = (try outerLoss(images: Tensor(shape: distiller.images.shape, values: plus), rates: distiller.rawRates)
                      - outerLoss(images: Tensor(shape: distiller.images.shape, values: minus), rates: distiller.rawRates)) / (2 * eps)
            XCTAssertEqual(gx.values[k], fd, accuracy: 1e-7 + 1e-5 * abs(fd), "image element \(k)")
        }
        for k in 0..<config.innerSteps {
            var plus = distiller.rawRates.values, minus = plus
            plus[k] += eps; minus[k] -= eps
            let fd = (try outerLoss(images: distiller.images, rates: Tensor(vector: plus))
                      - outerLoss(images: distiller.images, rates: Tensor(vector: minus))) / (2 * eps)
            XCTAssertEqual(gr.values[k], fd, accuracy: 1e-7 + 1e-5 * abs(fd), "raw rate \(k)")
        }
        XCTAssertGreaterThan(gx.values.map(abs).max()!, 1e-4)
    }

    /// The outer loss's slices run in parallel (one per thread) through the quantum LeNet, simulator
    /// included: the meta-gradient is bit-identical to the one computed on a single thread.
    func testParallelOuterSlicesGiveTheSingleThreadedMetaGradient() throws {
        let model = try QuantumLeNet()
        let distiller = try Distiller<QuantumLeNet, Float>(model: model, configuration: .init(), seed: 4)
        distiller.outerSlice = 16
        var rng = SeededRandom(seed: 5)
        let real = Tensor<Float>.normal([56, 1, 28, 28], using: &rng)
        let labels = (0..<56).map { $0 % 10 }
        let initial: Tensor<Float> = model.initialParameters(seed: 6)
        let saved = TensorThreads.count
        defer { TensorThreads.count = saved }
        var results: [(Float, [Float], [Float])] = []
        for threads in [1, 2] {
            TensorThreads.count = threads
            let (loss, gx, gr, _) = try distiller.metaGradient(initial: initial, realImages: real, realLabels: labels)
            results.append((loss, gx.values, gr.values))
        }
        XCTAssertEqual(results[0].0, results[1].0)
        XCTAssertEqual(results[0].1, results[1].1)
        XCTAssertEqual(results[0].2, results[1].2)
        XCTAssertGreaterThan(results[0].1.map(abs).max()!, 0)
    }

    /// Random init: the networks of one outer iteration run in parallel, one per thread; the
    /// step (loss, Adam update, real-batch accuracy) is bit-identical to the one on a single
    /// thread.
    func testParallelNetworksGiveTheSingleThreadedStep() throws {
        let model = try QuantumLeNet()
        var rng = SeededRandom(seed: 7)
        let real = Tensor<Float>.normal([16, 1, 28, 28], using: &rng)
        let labels = (0..<16).map { $0 % 10 }
        let initials: [Tensor<Float>] = (0..<3).map { model.initialParameters(seed: UInt64(10 + $0)) }
        let saved = TensorThreads.count
        defer { TensorThreads.count = saved }
        var outcomes: [(Float, Distiller<QuantumLeNet, Float>.State, Double)] = []
        for threads in [1, 2] {
            TensorThreads.count = threads
            let distiller = try Distiller<QuantumLeNet, Float>(model: model, configuration: .init(), seed: 8)
            let loss = try distiller.step(initials: initials, realImages: real, realLabels: labels)
            outcomes.append((loss, distiller.state(), distiller.batchAccuracy))
        }
        XCTAssertEqual(outcomes[0].0, outcomes[1].0)
        XCTAssertEqual(outcomes[0].1, outcomes[1].1)
        XCTAssertEqual(outcomes[0].2, outcomes[1].2)
    }

    /// The phases' times: none before the first step; after a step, three non-negative times
    /// whose sum fits inside the step's own wall time, for a single initialisation and for several
    /// (the last network's).
    func testPhaseTimesAreRecordedWithinTheStep() throws {
        let model = TinyNet()
        let distiller = try Distiller<TinyNet, Double>(model: model, configuration: .init(), seed: 1)
        XCTAssertNil(distiller.lastPhaseTimes)
        var rng = SeededRandom(seed: 2)
        let real = Tensor<Double>.normal([12, 1, 2, 2], using: &rng)
        let realLabels = (0..<12).map { $0 % 3 }
        for initials in [[model.initialParameters(seed: 3)], (4..<7).map { model.initialParameters(seed: $0) }] as [[Tensor<Double>]] {
            let start = DispatchTime.now().uptimeNanoseconds
            try distiller.step(initials: initials, realImages: real, realLabels: realLabels)
            let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let phases = try XCTUnwrap(distiller.lastPhaseTimes)
            for t in [phases.innerSteps, phases.realBatch, phases.metaGradient] { XCTAssertGreaterThanOrEqual(t, 0) }
            XCTAssertLessThanOrEqual(phases.innerSteps + phases.realBatch + phases.metaGradient, wall)
        }
    }

    /// A state whose optimiser moments do not fit the distiller (a corrupt checkpoint's) is refused
    /// before anything changes; the distiller then steps as before.
    func testRestoringMismatchedOptimiserMomentsIsAnErrorThatChangesNothing() throws {
        let model = TinyNet()
        let distiller = try Distiller<TinyNet, Double>(model: model, configuration: .init(), seed: 1)
        var rng = SeededRandom(seed: 2)
        let real = Tensor<Double>.normal([12, 1, 2, 2], using: &rng)
        try distiller.step(initials: [model.initialParameters(seed: 3)], realImages: real, realLabels: (0..<12).map { $0 % 3 })
        let before = distiller.state()
        var bad = before
        bad.imageOptimizer.v = [1]
        XCTAssertThrowsError(try distiller.restore(bad)) {
            XCTAssertTrue("\($0)".contains("the images' optimiser: Adam moments of \(before.images.count) and 1 values"), "\($0)")
        }
        bad = before
        bad.rateOptimizer.t = -1
        XCTAssertThrowsError(try distiller.restore(bad)) { XCTAssertTrue("\($0)".contains("the rates' optimiser"), "\($0)") }
        XCTAssertEqual(distiller.state(), before)
        try distiller.step(initials: [model.initialParameters(seed: 3)], realImages: real, realLabels: (0..<12).map { $0 % 3 })
    }

    /// Settings out of range (a corrupt checkpoint's real batch of 2⁶³ − 1 once overflowed the
    /// iteration count), too many synthetic values, a negative iteration or an empty training set
    /// are errors naming what is wrong and its range.
    func testRunSettingsOutOfRangeAreErrorsNamingTheRange() throws {
        let data = try TinyRun.data()
        var settings = DistillationSettings()
        settings.realBatch = .max
        XCTAssertThrowsError(try DistillationRun(model: TinyNet(), data: data, settings: settings)) {
            XCTAssertEqual("\($0)", "distillation: the real batch 9223372036854775807 is outside 1...1000000")
        }
        settings = DistillationSettings()
        (settings.distiller.imagesPerClass, settings.distiller.steps) = (10_000, 10_000)
        XCTAssertThrowsError(try DistillationRun(model: TinyNet(), data: data, settings: settings)) {
            XCTAssertEqual("\($0)", "distillation: 10000 images per class × 3 classes × 10000 steps of [1, 2, 2] make 1200000000 synthetic values; at most 268435456 fit")
        }
        let empty = try Dataset(name: "empty", images: .zeros([0, 1, 2, 2]), labels: [], classes: 3)
        XCTAssertThrowsError(try DistillationRun(model: TinyNet(), data: empty, settings: DistillationSettings())) {
            XCTAssertEqual("\($0)", "distillation: the training data holds no images")
        }
        let run = try TinyRun.run(on: data, recoverFromCollapse: false)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qd-run-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try run.save(to: url, modelName: "tiny")
        var checkpoint = try DistillationRun<TinyNet>.loadCheckpoint(from: url)
        checkpoint.iteration = -1
        XCTAssertThrowsError(try run.restore(checkpoint)) { XCTAssertTrue("\($0)".contains("iteration -1; iterations count from 0"), "\($0)") }
        checkpoint.iteration = .max
        XCTAssertThrowsError(try run.restore(checkpoint)) {
            XCTAssertTrue("\($0)".contains("it needs a schedule of at least 3074457345618258603 epochs"), "\($0)")
        }
    }

    func testSoftLabelMetaGradientMatchesFiniteDifferencesAndOneHotStartEqualsHardLabels() throws {
        let model = TinyNet()
        var config = Distiller<TinyNet, Double>.Configuration()
        (config.imagesPerClass, config.steps, config.epochs, config.distillLearningRate, config.learnLabels) = (2, 2, 2, 0.3, true)
        let distiller = try Distiller<TinyNet, Double>(model: model, configuration: config, seed: 1)
        let targets = try XCTUnwrap(distiller.targets)
        XCTAssertEqual(targets.shape, [12, 3])
        var rng = SeededRandom(seed: 2)
        let theta0: Tensor<Double> = model.initialParameters(seed: 3)
        let real = Tensor<Double>.normal([12, 1, 2, 2], using: &rng)
        let realLabels = (0..<12).map { $0 % 3 }
        // One-hot targets train exactly as the hard labels do.
        let soft = try distiller.unroll(from: theta0, images: distiller.images, rawRates: distiller.rawRates, targets: targets, keepGraph: false)
        let hard = try distiller.unroll(from: theta0, images: distiller.images, rawRates: distiller.rawRates, keepGraph: false)
        XCTAssertEqual(zip(soft.values, hard.values).map { abs($0 - $1) }.max()!, 0, accuracy: 1e-14)

        // Move the targets off one-hot so the check is generic, then compare with central differences.
        var moved = targets.values
        for i in moved.indices { moved[i] += 0.3 * Double(i % 5) - 0.4 }
        let t0 = try Tensor<Double>(shape: targets.shape, values: moved)
        func outerLoss(_ t: Tensor<Double>) throws -> Double {
            let theta = try distiller.unroll(from: theta0, images: distiller.images, rawRates: distiller.rawRates, targets: t, keepGraph: false)
            return try model.forward(real, parameters: theta).crossEntropy(labels: realLabels).item
        }
        let x = distiller.images.requiringGrad(), r = distiller.rawRates.requiringGrad(), t = t0.requiringGrad()
        let theta = try distiller.unroll(from: theta0, images: x, rawRates: r, targets: t, keepGraph: true)
        let gt = try Autograd.gradients(of: model.forward(real, parameters: theta).crossEntropy(labels: realLabels), wrt: [t])[0]
        let eps = 1e-6
        for k in 0..<t0.count {
            var plus = moved, minus = moved
            plus[k] += eps; minus[k] -= eps
            let fd = (try outerLoss(Tensor(shape: t0.shape, values: plus)) - outerLoss(Tensor(shape: t0.shape, values: minus))) / (2 * eps)
            XCTAssertEqual(gt.values[k], fd, accuracy: 1e-7 + 1e-5 * abs(fd), "soft label \(k)")
        }
        XCTAssertGreaterThan(gt.values.map(abs).max()!, 1e-4)

        // metaGradient hands back the targets' gradient, and a step moves the targets.
        let (_, _, _, g) = try distiller.metaGradient(initial: theta0, realImages: real, realLabels: realLabels)
        XCTAssertEqual(g?.shape, [12, 3])
        try distiller.step(initial: theta0, realImages: real, realLabels: realLabels)
        XCTAssertNotEqual(distiller.targets?.values, targets.values)
    }

    func testPerLayerRateMetaGradientMatchesFiniteDifferencesAndEqualRatesMatchOneRate() throws {
        // TinyNet's blocks w1, b1, w2, b2 are four layers: 4 rates per inner step.
        let model = TinyNet()
        var config = Distiller<TinyNet, Double>.Configuration()
        (config.imagesPerClass, config.steps, config.epochs, config.distillLearningRate, config.ratesPerLayer) = (1, 2, 1, 0.3, true)
        let distiller = try Distiller<TinyNet, Double>(model: model, configuration: config, seed: 1)
        XCTAssertEqual(distiller.rateGroups, 4)
        XCTAssertEqual(distiller.rawRates.count, 8)
        var rng = SeededRandom(seed: 2)
        let theta0: Tensor<Double> = model.initialParameters(seed: 3)
        let real = Tensor<Double>.normal([12, 1, 2, 2], using: &rng)
        let realLabels = (0..<12).map { $0 % 3 }
        func outerLoss(_ d: Distiller<TinyNet, Double>, rates: Tensor<Double>) throws -> Double {
            let theta = try d.unroll(from: theta0, images: d.images, rawRates: rates, keepGraph: false)
            return try model.forward(real, parameters: theta).crossEntropy(labels: realLabels).item
        }
        // All layers at one rate train exactly as the single shared rate does.
        var single = config
        single.ratesPerLayer = false
        let shared = try Distiller<TinyNet, Double>(model: model, configuration: single, seed: 1)
        XCTAssertEqual(try outerLoss(distiller, rates: distiller.rawRates), try outerLoss(shared, rates: shared.rawRates), accuracy: 1e-14)

        // Distinct rates per layer, then the exact meta-gradient against central differences.
        let raw = distiller.rawRates.values.enumerated().map { $0.element + 0.2 * Double($0.offset % 4) - 0.3 }
        let r = Tensor<Double>(vector: raw).requiringGrad()
        let theta = try distiller.unroll(from: theta0, images: distiller.images, rawRates: r, keepGraph: true)
        let g = try Autograd.gradients(of: model.forward(real, parameters: theta).crossEntropy(labels: realLabels), wrt: [r])[0]
        let eps = 1e-6
        for k in raw.indices {
            var plus = raw, minus = raw
            plus[k] += eps; minus[k] -= eps
            let fd = (try outerLoss(distiller, rates: Tensor(vector: plus)) - outerLoss(distiller, rates: Tensor(vector: minus))) / (2 * eps)
            XCTAssertEqual(g.values[k], fd, accuracy: 1e-7 + 1e-5 * abs(fd), "raw rate \(k) (step \(k / 4), layer \(k % 4))")
        }
        XCTAssertGreaterThan(Set(g.values.map { ($0 * 1e6).rounded() }).count, 4, "the layers' rate gradients should differ")
    }

    func testOuterStepsLowerTheLossAndStartFromTheReferenceRate() throws {
        let model = TinyNet()
        var config = Distiller<TinyNet, Double>.Configuration()
        config.distillLearningRate = 0.02
        let distiller = try Distiller<TinyNet, Double>(model: model, configuration: config, seed: 4)
        XCTAssertEqual(distiller.learningRates.count, 3)
        XCTAssertEqual(distiller.learningRates[0], 0.02, accuracy: 1e-12)
        XCTAssertEqual(distiller.labels, [0, 1, 2])
        var rng = SeededRandom(seed: 5)
        let real = Tensor<Double>.normal([30, 1, 2, 2], using: &rng)
        // a learnable rule: the class is the index of the largest of the first three pixels
        let labels = (0..<30).map { b in (0..<3).max { real.values[4 * b + $0] < real.values[4 * b + $1] }! }
        let theta0: Tensor<Double> = model.initialParameters(seed: 6)
        let first = try distiller.step(initial: theta0, realImages: real, realLabels: labels)
        var last = first
        for _ in 0..<150 { last = try distiller.step(initial: theta0, realImages: real, realLabels: labels) }
        XCTAssertLessThan(last, first * 0.9, "outer loss went from \(first) to \(last)")
    }

    func testRealInitialImagesAreTheRandomRealBaselineUntilTheFirstStep() throws {
        var rng = SeededRandom(seed: 10)
        let data = try Dataset(name: "noise", images: Tensor<Float>.normal([40, 1, 28, 28], using: &rng), labels: (0..<40).map { $0 % 10 }, classes: 10)
        var settings = DistillationSettings()
        settings.realBatch = 20
        settings.distiller.steps = 2
        settings.initialImages = .real
        let run = try DistillationRun(model: LeNet(), data: data, settings: settings)
        let start = run.distiller.images
        XCTAssertEqual(start.values, try run.trainingImages(.randomReal).values)
        // each image is a real image of its own class
        for (k, y) in run.distiller.labels.enumerated() {
            let image = Array(start.values[(k * 784)..<((k + 1) * 784)])
            XCTAssertTrue((0..<40).contains { data.labels[$0] == y && Array(data.images.values[($0 * 784)..<(($0 + 1) * 784)]) == image }, "image \(k)")
        }
        settings.initialImages = .noise
        XCTAssertNotEqual(try DistillationRun(model: LeNet(), data: data, settings: settings).distiller.images.values, start.values)
        try run.run(iterations: 1)
        XCTAssertNotEqual(run.distiller.images.values, start.values)
    }

    func testBaselineStepSizesThatDivergeScoreZeroInsteadOfAborting() throws {
        // A step size of 1e30 blows the weights up; the search must skip it and take 0.01.
        var rng = SeededRandom(seed: 9)
        let data = try Dataset(name: "noise", images: Tensor<Float>.normal([40, 1, 28, 28], using: &rng), labels: (0..<40).map { $0 % 10 }, classes: 10)
        var settings = DistillationSettings()
        settings.realBatch = 20
        settings.baselineStepSizes = [1e30, 0.01]
        let run = try DistillationRun(model: LeNet(), data: data, settings: settings)
        let e = try run.evaluate(.randomReal, on: data)
        XCTAssertEqual(e.stepSize, 0.01)
        settings.baselineStepSizes = [1e30]
        XCTAssertThrowsError(try DistillationRun(model: LeNet(), data: data, settings: settings).evaluate(.classMeans, on: data)) {
            XCTAssertTrue("\($0)".contains("every baseline step size"), "\($0)")
        }
    }
}
