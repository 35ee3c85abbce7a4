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

    func testOutputShapes() throws {
        let lenet = LeNet(input: .mnist), cifar = LeNet(input: .cifar10), alex = AlexCifarNet()
        XCTAssertEqual(try lenet.forward(Tensor<Float>.zeros([3, 1, 28, 28]), parameters: lenet.initialParameters(seed: 1)).shape, [3, 10])
        XCTAssertEqual(try cifar.forward(Tensor<Float>.zeros([2, 3, 32, 32]), parameters: cifar.initialParameters(seed: 1)).shape, [2, 10])
        XCTAssertEqual(try alex.forward(Tensor<Float>.zeros([2, 3, 32, 32]), parameters: alex.initialParameters(seed: 1)).shape, [2, 10])
        XCTAssertThrowsError(try lenet.forward(Tensor<Float>.zeros([2, 3, 32, 32]), parameters: lenet.initialParameters(seed: 1))) {
            XCTAssertTrue("\($0)".contains("takes inputs [B] + [1, 28, 28]; got [2, 3, 32, 32]"))
        }
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
