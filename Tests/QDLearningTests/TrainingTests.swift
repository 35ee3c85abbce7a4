import XCTest
import QDLearning
import QDTensor

/// Optimisers against their formulas, and a short training run that must learn.
final class TrainingTests: XCTestCase {
    func testSGDWithMomentumAndWeightDecayFollowsItsFormula() throws {
        var sgd = SGD<Double>(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        var p = Tensor<Double>(vector: [1, -2])
        let g = Tensor<Double>(vector: [0.5, 0.5])
        try sgd.step(&p, gradient: g)           // b = g + λp = (0.51, 0.48); p −= 0.1·b
        XCTAssertEqual(p.values[0], 1 - 0.051, accuracy: 1e-12)
        XCTAssertEqual(p.values[1], -2 - 0.048, accuracy: 1e-12)
        try sgd.step(&p, gradient: g)           // b = 0.9·b + g + λp
        XCTAssertEqual(p.values[0], 0.949 - 0.1 * (0.9 * 0.51 + 0.5 + 0.01 * 0.949), accuracy: 1e-12)
    }

    func testAdamFirstStepMovesByTheLearningRate() throws {
        var adam = Adam<Double>(learningRate: 0.01)
        var p = Tensor<Double>(vector: [1, 1])
        try adam.step(&p, gradient: Tensor<Double>(vector: [3, -0.2]))
        // m̂ = g, v̂ = g², so the step is η·sign(g) up to ε
        XCTAssertEqual(p.values[0], 0.99, accuracy: 1e-7)
        XCTAssertEqual(p.values[1], 1.01, accuracy: 1e-7)
    }

    func testAdamInFloatFollowsItsFormulaOverTwoSteps() throws {
        // the moments are kept in Double and each update is rounded to Float once
        var adam = Adam<Float>(learningRate: 0.1, beta1: 0.5, beta2: 0.999)
        var p = Tensor<Float>(vector: [1, -1])
        let gradients: [[Float]] = [[3, -0.2], [-1, 0.5]]
        var m = [0.0, 0.0], v = [0.0, 0.0], expected: [Float] = [1, -1]
        for (t, g) in gradients.enumerated() {
            try adam.step(&p, gradient: Tensor<Float>(vector: g))
            let c1 = 1 - pow(0.5, Double(t + 1)), c2 = 1 - pow(0.999, Double(t + 1))
            for i in 0..<2 {
                m[i] = 0.5 * m[i] + (1 - 0.5) * Double(g[i])
                v[i] = 0.999 * v[i] + (1 - 0.999) * Double(g[i]) * Double(g[i])
                expected[i] -= Float(0.1 * (m[i] / c1) / ((v[i] / c2).squareRoot() + 1e-8))
            }
            XCTAssertEqual(p.values, expected, "step \(t + 1)")
        }
    }

    func testStepDecayHalvesEveryPeriod() {
        let s = StepDecay(every: 40, factor: 0.5)
        XCTAssertEqual(s.rate(base: 0.01, epoch: 39), 0.01)
        XCTAssertEqual(s.rate(base: 0.01, epoch: 40), 0.005)
        XCTAssertEqual(s.rate(base: 0.01, epoch: 125), 0.00125)
    }

    func testNaNGradientStopsTheStepWithAMessage() {
        var sgd = SGD<Float>(learningRate: 0.1)
        var p = Tensor<Float>(vector: [1, 2])
        XCTAssertThrowsError(try sgd.step(&p, gradient: Tensor<Float>(vector: [0, .nan]))) {
            XCTAssertTrue("\($0)".contains("gradient entry 1 is nan"))
        }
        XCTAssertEqual(p.values, [1, 2])
    }

    /// Moments that do not fit the parameters (a corrupt checkpoint's) are an error, not an
    /// out-of-range read; the parameters are left as they were.
    func testAdamMomentsOfTheWrongSizeAreAnError() throws {
        var adam = Adam<Float>(learningRate: 0.1)
        var p = Tensor<Float>(vector: [1, 2])
        adam.state = .init(m: [0], v: [0], t: 1)
        XCTAssertThrowsError(try adam.step(&p, gradient: Tensor<Float>(vector: [1, 1]))) {
            XCTAssertTrue("\($0)".contains("Adam moments of 1 and 1 values at step 1; they must both be empty or hold the 2 parameters"), "\($0)")
        }
        XCTAssertEqual(p.values, [1, 2])
        adam.state = .init(m: [0, 0], v: [0], t: 1)
        XCTAssertThrowsError(try adam.step(&p, gradient: Tensor<Float>(vector: [1, 1])))
        adam.state = .init(m: [0, 0], v: [0, 0], t: .max)
        XCTAssertThrowsError(try adam.step(&p, gradient: Tensor<Float>(vector: [1, 1]))) {
            XCTAssertTrue("\($0)".contains("at a step in 0..<9223372036854775807"), "\($0)")
        }
        adam.state = .init(m: [], v: [], t: 0)
        try adam.step(&p, gradient: Tensor<Float>(vector: [1, 1]))
        XCTAssertEqual(p.values, [0.9, 1.9])
    }

    /// Batch sizes of Int.max (one batch) and, for evaluation, below 1 (one image at a time) work:
    /// they once overflowed the step count or made an invalid range.
    func testExtremeBatchSizes() throws {
        let data = try TinyRun.data(), model = TinyNet()
        let theta: Tensor<Float> = model.initialParameters(seed: 4)
        let reference = try Trainer.evaluate(model, parameters: theta, on: data)
        for size in [Int.max, 0, -5] {
            let e = try Trainer.evaluate(model, parameters: theta, on: data, batchSize: size)
            XCTAssertEqual(e.accuracy, reference.accuracy)
            XCTAssertEqual(e.loss, reference.loss, accuracy: 1e-6)
        }
        let oneBatch = try Trainer.train(model, parameters: theta, on: data, epochs: 1, batchSize: .max,
                                         optimizer: SGD<Float>(learningRate: 0.1), seed: 1)
        let full = try Trainer.train(model, parameters: theta, on: data, epochs: 1, batchSize: data.count,
                                     optimizer: SGD<Float>(learningRate: 0.1), seed: 1)
        XCTAssertEqual(oneBatch.values, full.values)
    }

    func testLeNetLearnsTheEmbeddedMNISTSubset() throws {
        // 1000 training images, 500 test images; chance is 10%.
        let train = try Datasets.load(.mnist, split: .train), test = try Datasets.load(.mnist, split: .test)
        let model = LeNet()
        let start: Tensor<Float> = model.initialParameters(seed: 1)
        let trained = try Trainer.train(model, parameters: start, on: train, epochs: 5, batchSize: 32,
                                        optimizer: SGD<Float>(learningRate: 0.01, momentum: 0.9), seed: 2)
        let result = try Trainer.evaluate(model, parameters: trained, on: test)
        XCTAssertGreaterThanOrEqual(result.accuracy, 0.85, "LeNet on 1000 embedded MNIST images reached \(result.accuracy)")
        XCTAssertEqual(result.confusion.flatMap { $0 }.reduce(0, +), test.count)
        let again = try Trainer.train(model, parameters: start, on: train, epochs: 1, batchSize: 32,
                                      optimizer: SGD<Float>(learningRate: 0.01, momentum: 0.9), seed: 2)
        let again2 = try Trainer.train(model, parameters: start, on: train, epochs: 1, batchSize: 32,
                                       optimizer: SGD<Float>(learningRate: 0.01, momentum: 0.9), seed: 2)
        XCTAssertEqual(again.values, again2.values, "the same seed gives the same run")
    }
}
