import XCTest
import QDLearning
import QDTensor

/// Shapes, parameter counts, initialisation and second derivatives of the networks.
final class ModelTests: XCTestCase {
    func testParameterCountsMatchTheReference() {
        XCTAssertEqual(LeNet(input: .mnist).layout.count, 61_706)
        XCTAssertEqual(LeNet(input: .cifar10).layout.count, 62_006)
        XCTAssertEqual(AlexCifarNet().layout.count, 1_756_426)
    }

    func testLayersGroupBlocksByNameBeforeTheFirstDot() throws {
        let lenet = LeNet().layout
        XCTAssertEqual(lenet.layers, ["conv1", "conv2", "fc1", "fc2", "fc3"])
        let groups = lenet.layerOfEachParameter
        XCTAssertEqual(groups.count, 61_706)
        for e in lenet.entries {
            XCTAssertEqual(Set(groups[e.offset..<(e.offset + e.count)]), [lenet.layers.firstIndex(of: String(e.name.split(separator: ".")[0]))!], e.name)
        }
        XCTAssertEqual(try QuantumLeNet().layout.layers, ["conv1", "conv2", "fc1", "fc2", "quantum", "fc3", "fc_res", "fc_final", "alpha"])
    }

    func testOutputShapes() throws {
        let lenet = LeNet(input: .mnist), cifar = LeNet(input: .cifar10), alex = AlexCifarNet()
        XCTAssertEqual(try lenet.forward(Tensor<Float>.zeros([3, 1, 28, 28]), parameters: lenet.initialParameters(seed: 1)).shape, [3, 10])
        XCTAssertEqual(try cifar.forward(Tensor<Float>.zeros([2, 3, 32, 32]), parameters: cifar.initialParameters(seed: 1)).shape, [2, 10])
        XCTAssertEqual(try alex.forward(Tensor<Float>.zeros([2, 3, 32, 32]), parameters: alex.initialParameters(seed: 1)).shape, [2, 10])
        XCTAssertThrowsError(try lenet.forward(Tensor<Float>.zeros([2, 3, 32, 32]), parameters: lenet.initialParameters(seed: 1))) {
            XCTAssertTrue("\($0)".contains("takes inputs [B] + [1, 28, 28]; got [2, 3, 32, 32]"))
        }
    }

    func testLeNetMatchesTheTextbookLayerOrderInValueGradientAndHessian() throws {
        // LeNet pools before its ReLUs (they commute); against conv → ReLU → pool written out.
        let model = LeNet()
        var rng = SeededRandom(seed: 31)
        let x = Tensor<Double>.normal([3, 1, 28, 28], using: &rng)
        let theta = (model.initialParameters(seed: 4) as Tensor<Double>).requiringGrad()
        let v = Tensor<Double>.normal([model.layout.count], using: &rng)
        func textbook(_ p: Tensor<Double>) throws -> Tensor<Double> {
            let w = { (name: String) in try model.layout.view(name, in: p) }
            let h1 = try x.conv2d(w("conv1.weight"), bias: w("conv1.bias"), padding: 2).relu().maxPool2d(kernel: 2)
            let h2 = try h1.conv2d(w("conv2.weight"), bias: w("conv2.bias")).relu().maxPool2d(kernel: 2).reshaped([3, 400])
            let f1 = try h2.linear(w("fc1.weight"), w("fc1.bias")).relu()
            return try f1.linear(w("fc2.weight"), w("fc2.bias")).relu().linear(w("fc3.weight"), w("fc3.bias"))
        }
        func valueGradientHessian(_ f: (Tensor<Double>) throws -> Tensor<Double>) throws -> [[Double]] {
            let loss = try f(theta).crossEntropy(labels: [3, 1, 4])
            let g = try Autograd.gradients(of: loss, wrt: [theta], createGraph: true)[0]
            let hv = try Autograd.gradients(of: (g * v).sum(), wrt: [theta])[0]
            return [try f(theta).values, g.values, hv.values]
        }
        let ours = try valueGradientHessian { try model.forward(x, parameters: $0) }
        let reference = try valueGradientHessian(textbook)
        for (name, (a, b)) in zip(["logits", "gradient", "Hessian-vector product"], zip(ours, reference)) {
            for (p, q) in zip(a, b) { XCTAssertEqual(p, q, accuracy: 1e-12 * max(1, abs(q)), name) }
        }
    }

    func testAlexCifarNetMatchesTheTextbookLayerOrder() throws {
        // AlexCifarNet pools before its first ReLU; against conv → ReLU → pool written out.
        let model = AlexCifarNet()
        var rng = SeededRandom(seed: 32)
        let x = Tensor<Double>.normal([2, 3, 32, 32], using: &rng)
        let theta = (model.initialParameters(seed: 5) as Tensor<Double>).requiringGrad()
        func textbook(_ p: Tensor<Double>) throws -> Tensor<Double> {
            let w = { (name: String) in try model.layout.view(name, in: p) }
            let alpha = 0.001 / 9
            let h1 = try x.conv2d(w("conv1.weight"), bias: w("conv1.bias"), padding: 2).relu()
                .maxPool2d(kernel: 3, stride: 2, padding: 1).localResponseNormalized(size: 4, alpha: alpha, beta: 0.75, k: 1)
            let h2 = try h1.conv2d(w("conv2.weight"), bias: w("conv2.bias"), padding: 2).relu()
                .localResponseNormalized(size: 4, alpha: alpha, beta: 0.75, k: 1).maxPool2d(kernel: 3, stride: 2, padding: 1)
            let f1 = try h2.reshaped([2, 4096]).linear(w("fc1.weight"), w("fc1.bias")).relu()
            return try f1.linear(w("fc2.weight"), w("fc2.bias")).relu().linear(w("fc3.weight"), w("fc3.bias"))
        }
        let ours = try model.forward(x, parameters: theta), reference = try textbook(theta)
        for (p, q) in zip(ours.values, reference.values) { XCTAssertEqual(p, q, accuracy: 1e-12 * max(1, abs(q))) }
        let g1 = try Autograd.gradients(of: ours.crossEntropy(labels: [7, 2]), wrt: [theta])[0]
        let g2 = try Autograd.gradients(of: reference.crossEntropy(labels: [7, 2]), wrt: [theta])[0]
        for (p, q) in zip(g1.values, g2.values) { XCTAssertEqual(p, q, accuracy: 1e-12 * max(1, abs(q))) }
    }

    func testXavierInitialisationIsSeededWithZeroBiasesAndTheRightSpread() {
        let model = LeNet()
        let a: Tensor<Double> = model.initialParameters(seed: 42), b: Tensor<Double> = model.initialParameters(seed: 42)
        let c: Tensor<Double> = model.initialParameters(seed: 43)
        XCTAssertEqual(a.values, b.values)
        XCTAssertNotEqual(a.values, c.values)
        let fc1 = model.layout.entry("fc1.weight")!, bias = model.layout.entry("fc1.bias")!
        XCTAssertTrue(a.values[bias.offset..<(bias.offset + bias.count)].allSatisfy { $0 == 0 })
        let w = a.values[fc1.offset..<(fc1.offset + fc1.count)]
        let variance = w.reduce(0) { $0 + $1 * $1 } / Double(w.count)
        XCTAssertEqual(variance.squareRoot(), (2.0 / (400 + 120)).squareRoot(), accuracy: 0.002)
    }

    func testHessianVectorProductOfLeNetLossMatchesFiniteDifferencesOfGradients() throws {
        // H·v against (∇L(θ + εv) − ∇L(θ − εv)) / 2ε, in Float64, on a small batch.
        let model = LeNet()
        var rng = SeededRandom(seed: 9)
        let x = Tensor<Double>.normal([4, 1, 28, 28], using: &rng)
        let labels = [3, 1, 4, 1]
        let theta: Tensor<Double> = model.initialParameters(seed: 5)
        let v = Tensor<Double>.normal([model.layout.count], using: &rng)
        let (hv, fd) = try hessianVectorProducts(model, x: x, labels: labels, theta: theta, v: v, epsilon: 1e-5)
        let scale = fd.values.map(abs).max()!
        XCTAssertGreaterThan(scale, 1e-3)
        for (a, b) in zip(hv.values, fd.values) { XCTAssertEqual(a, b, accuracy: 1e-5 * scale) }
    }
}
