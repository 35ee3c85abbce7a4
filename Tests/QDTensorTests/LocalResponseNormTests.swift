import XCTest
import QDTensor

/// The fused local response normalisation against hand-computed values, a slow dense reference
/// (PyTorch's definition written out loop by loop) and finite differences up to second order.
final class LocalResponseNormTests: XCTestCase {
    var rng = SeededRandom(seed: 17)

    /// One pixel with channels (1, 2, 3), n = 2 (the window is the channel and the one before it),
    /// α = 1, β = 1, k = 1: D = 1 + (1²)/2, 1 + (1² + 2²)/2, 1 + (2² + 3²)/2 = 1.5, 3.5, 7.5.
    func testKnownValues() throws {
        let a = try Tensor<Double>(shape: [1, 3, 1, 1], values: [1, 2, 3])
        let b = try a.localResponseNormalized(size: 2, alpha: 1, beta: 1, k: 1)
        XCTAssertEqual(b.values[0], 1 / 1.5, accuracy: 1e-15)
        XCTAssertEqual(b.values[1], 2 / 3.5, accuracy: 1e-15)
        XCTAssertEqual(b.values[2], 3 / 7.5, accuracy: 1e-15)
    }

    /// b[n, c, p] = a[n, c, p] / (k + α/size · Σ_{c′ = c − ⌊size/2⌋}^{c + ⌈size/2⌉ − 1} a[n, c′, p]²)^β.
    func reference(_ a: [Double], _ shape: [Int], size: Int, alpha: Double, beta: Double, k: Double) -> [Double] {
        let (nb, c, hw) = (shape[0], shape[1], shape[2] * shape[3])
        var out = [Double](repeating: 0, count: a.count)
        for n in 0..<nb { for ch in 0..<c { for p in 0..<hw {
            var sum = 0.0
            for other in (ch - size / 2)...(ch + (size - 1) / 2) where (0..<c).contains(other) {
                sum += a[(n * c + other) * hw + p] * a[(n * c + other) * hw + p]
            }
            let i = (n * c + ch) * hw + p
            out[i] = a[i] / pow(k + alpha / Double(size) * sum, beta)
        } } }
        return out
    }

    func testMatchesTheDenseReferenceInBothPrecisions() throws {
        let shape = [2, 6, 3, 2]
        let a = Tensor<Double>.normal(shape, std: 3, using: &rng)
        // β = ¾ takes the square-root path, any other β the exponential one
        for size in 1...7 { for beta in [0.75, 0.6] {
            let expected = reference(a.values, shape, size: size, alpha: 0.3, beta: beta, k: 1.5)
            let double = try a.localResponseNormalized(size: size, alpha: 0.3, beta: beta, k: 1.5)
            for (x, y) in zip(double.values, expected) { XCTAssertEqual(x, y, accuracy: 1e-14, "size \(size), β \(beta)") }
            let single = try Tensor<Float>(shape: shape, values: a.values.map(Float.init))
                .localResponseNormalized(size: size, alpha: 0.3, beta: Float(beta), k: 1.5)
            for (x, y) in zip(single.values, expected) { XCTAssertEqual(Double(x), y, accuracy: 1e-5, "size \(size), β \(beta), Float") }
        } }
    }

    /// Gradients and gradients of gradients; squaring the output makes the upstream gradient
    /// depend on the input, so the second-order rule's part in the upstream gradient is checked too.
    func testGradientsAndGradientsOfGradients() throws {
        for (size, beta) in [(1, 0.75), (2, 0.75), (4, 0.75), (5, 0.75), (4, 1.3)] {
            let a = Tensor<Double>.normal([2, 5, 3, 3], std: 2, using: &rng)
            let lrn = { (x: Tensor<Double>) in try x.localResponseNormalized(size: size, alpha: 0.4, beta: beta, k: 1) }
            XCTAssertLessThan(try GradCheck.gradientError([a]) { try lrn($0[0]) }, 1e-6, "size \(size), β \(beta)")
            XCTAssertLessThan(try GradCheck.secondGradientError([a]) { try lrn($0[0]) }, 1e-4, "size \(size), β \(beta)")
            XCTAssertLessThan(try GradCheck.secondGradientError([a]) { try lrn($0[0]).squared() }, 1e-4, "size \(size), β \(beta), squared")
            XCTAssertLessThan(try GradCheck.secondGradientError([a]) { try lrn(lrn($0[0])) }, 1e-4, "size \(size), β \(beta), twice")
        }
    }

    /// A batch of 2¹⁷ values splits the kernels (the window sums of the second-order rule too)
    /// across threads; each image's gradient of gradients must still be the one it has alone.
    func testLargeBatchesGiveEachImageItsOwnSecondOrderGradient() throws {
        let shape = [8, 64, 16, 16], plane = 64 * 16 * 16
        let a = Tensor<Double>.normal(shape, std: 2, using: &rng)
        let r = Tensor<Double>.normal(shape, using: &rng), v = Tensor<Double>.normal(shape, using: &rng)
        /// ∂/∂a ⟨v, ∂/∂a ⟨r, LRN(a)⟩⟩, a Hessian-vector product
        func hessianTimesV(_ images: Range<Int>) throws -> [Double] {
            let al = try a.sliced(axis: 0, images).requiringGrad()
            let outer = try (al.localResponseNormalized(size: 4, alpha: 0.4) * r.sliced(axis: 0, images)).sum()
            let g = try Autograd.gradients(of: outer, wrt: [al], createGraph: true)[0]
            return try Autograd.gradients(of: (g * v.sliced(axis: 0, images)).sum(), wrt: [al])[0].values
        }
        let saved = TensorThreads.count
        defer { TensorThreads.count = saved }
        TensorThreads.count = 2
        let whole = try hessianTimesV(0..<8)
        XCTAssertGreaterThan(whole.map(abs).max()!, 0)
        for n in 0..<8 { XCTAssertEqual(Array(whole[(n * plane)..<((n + 1) * plane)]), try hessianTimesV(n..<(n + 1)), "image \(n)") }
    }

    func testBadShapesAndSizesAreErrors() {
        XCTAssertThrowsError(try Tensor<Double>.normal([2, 3], using: &rng).localResponseNormalized(size: 2)) {
            XCTAssertTrue("\($0)".contains("needs [N, C, H, W]"), "\($0)")
        }
        XCTAssertThrowsError(try Tensor<Double>.normal([1, 2, 2, 2], using: &rng).localResponseNormalized(size: 0)) {
            XCTAssertTrue("\($0)".contains("size 0 must be ≥ 1"), "\($0)")
        }
    }
}
