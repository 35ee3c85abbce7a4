import XCTest
import QDTensor

/// conv2dMaxPooled against the two operations it fuses, conv2d then maxPool2d(kernel: 2): the same
/// values, gradients from the pooled gradient equal to the composition's, and higher derivatives
/// through a recorded pass the composition's.
final class PooledConvTests: XCTestCase {
    /// Inputs rounded to small integers, so that pooling windows often hold equal maxima and the
    /// first in row-major order must win, as the composition's pooling picks it.
    private func smallIntegers(_ shape: [Int], using rng: inout SeededRandom) throws -> Tensor<Double> {
        try Tensor<Double>(shape: shape, values: Tensor<Double>.normal(shape, using: &rng).values.map { $0.rounded() })
    }

    /// (input shape, weight shape, stride, padding): one-channel kernels of five rows (the
    /// pooled-gradient path) with padding, odd output sizes (a last row and column no window
    /// covers), stride 2 and a narrower kernel; outputs 17 to 32 wide, which the fused forward
    /// kernel pools in registers on CPUs with AVX-512 (LeNet's first layer on MNIST, and an odd
    /// 19 × 17 output with seven channels: a tile of six, then one); and kernels the composition's
    /// rules take (three channels, three rows).
    private let cases: [([Int], [Int], Int, Int)] = [
        ([3, 1, 12, 12], [4, 1, 5, 5], 1, 2), ([2, 1, 11, 9], [3, 1, 5, 5], 1, 0), ([2, 1, 15, 13], [2, 1, 5, 5], 2, 2),
        ([2, 1, 10, 10], [2, 1, 5, 3], 1, 1), ([2, 1, 28, 28], [6, 1, 5, 5], 1, 2), ([2, 1, 23, 21], [7, 1, 5, 5], 1, 0),
        ([2, 3, 9, 11], [5, 3, 3, 3], 1, 0),
    ]

    func testValuesAndGradientsMatchConvolutionThenPooling() throws {
        var rng = SeededRandom(seed: 31)
        for (inputShape, weightShape, stride, padding) in cases { for rectified in [false, true] {
            let x = try smallIntegers(inputShape, using: &rng), w = try smallIntegers(weightShape, using: &rng)
            let b = try smallIntegers([weightShape[0]], using: &rng)
            let place = "\(inputShape) ⊛ \(weightShape), stride \(stride), padding \(padding), rectified \(rectified)"
            for scalar in ["Double", "Float"] {
                func run(fused: Bool) throws -> (values: [Double], gradients: [[Double]]) {
                    if scalar == "Double" {
                        let (xl, wl, bl) = (x.requiringGrad(), w.requiringGrad(), b.requiringGrad())
                        let z = fused ? try xl.conv2dMaxPooled(wl, bias: bl, stride: stride, padding: padding, rectified: rectified)
                            : try xl.conv2d(wl, bias: bl, stride: stride, padding: padding).maxPool2d(kernel: 2, rectified: rectified)
                        let r = Tensor<Double>.normal(z.shape, using: &rng)
                        return (z.values, try Autograd.gradients(of: (z * r).sum(), wrt: [xl, wl, bl]).map(\.values))
                    }
                    let (xl, wl, bl) = (x.converted(to: Float.self).requiringGrad(), w.converted(to: Float.self).requiringGrad(),
                                        b.converted(to: Float.self).requiringGrad())
                    let z = fused ? try xl.conv2dMaxPooled(wl, bias: bl, stride: stride, padding: padding, rectified: rectified)
                        : try xl.conv2d(wl, bias: bl, stride: stride, padding: padding).maxPool2d(kernel: 2, rectified: rectified)
                    let r = Tensor<Float>.normal(z.shape, using: &rng)
                    return (z.values.map(Double.init), try Autograd.gradients(of: (z * r).sum(), wrt: [xl, wl, bl]).map { $0.values.map(Double.init) })
                }
                let state = rng
                let fused = try run(fused: true)
                rng = state
                let composed = try run(fused: false)
                XCTAssertEqual(fused.values, composed.values, "\(scalar) \(place): values")
                XCTAssertEqual(fused.gradients[0], composed.gradients[0], "\(scalar) \(place): the input's gradient")
                let tolerance = scalar == "Double" ? 1e-10 : 1e-3
                for (name, k) in [("weight", 1), ("bias", 2)] {
                    XCTAssertEqual(fused.gradients[k].count, composed.gradients[k].count)
                    for (a, e) in zip(fused.gradients[k], composed.gradients[k]) {
                        XCTAssertEqual(a, e, accuracy: tolerance * max(1, abs(e)), "\(scalar) \(place): the \(name)'s gradient")
                    }
                }
            }
        } }
    }

    func testRecordedGradientsMatchTheCompositionsToThirdOrder() throws {
        // A recorded pass (createGraph) records the weight and bias gradients as operations of x
        // and the pooled gradient that visit only the argmax cells; their derivatives, with and
        // without a graph, must be the composition's up to rounding, and pass the finite-difference
        // checks. The loss weighs z by m, so the pooled gradient depends on m at every window,
        // also at those whose rectified maximum routes nothing, which must stay out of ∂w and ∂b.
        var rng = SeededRandom(seed: 32)
        let x = Tensor<Double>.normal([2, 1, 8, 8], using: &rng), w = Tensor<Double>.normal([2, 1, 5, 5], using: &rng)
        let b = Tensor<Double>.normal([2], using: &rng), m = Tensor<Double>.normal([2, 2, 4, 4], using: &rng)
        let directions = [x, w, b, m].map { Tensor<Double>.normal($0.shape, using: &rng) }
        func loss(_ t: [Tensor<Double>], fused: Bool) throws -> Tensor<Double> {
            let z = fused ? try t[0].conv2dMaxPooled(t[1], bias: t[2], padding: 2, rectified: true)
                : try t[0].conv2d(t[1], bias: t[2], padding: 2).maxPool2d(kernel: 2, rectified: true)
            return try (z * t[3]).sum().squared() + z.squared().sum()
        }
        /// The first three derivatives of the loss, each contracted with `directions` before the
        /// next (the second both without a graph and with one, which the third differentiates).
        /// The contraction adds the bias gradient's square, so that the weight on the bias
        /// gradient depends on the inputs and the third derivative runs its rule's own rule.
        func derivatives(fused: Bool) throws -> [[Double]] {
            let inputs = [x, w, b, m].map { $0.requiringGrad() }
            let first = try Autograd.gradients(of: loss(inputs, fused: fused), wrt: inputs, createGraph: true)
            XCTAssertTrue(first.allSatisfy(\.requiresGrad))
            func contracted(_ g: [Tensor<Double>]) throws -> Tensor<Double> {
                try zip(g, directions).map { try ($0 * $1).sum() }.reduce(g[2].squared().sum()) { try $0 + $1 }
            }
            let secondPlain = try Autograd.gradients(of: contracted(first), wrt: inputs)
            let second = try Autograd.gradients(of: contracted(first), wrt: inputs, createGraph: true)
            let third = try Autograd.gradients(of: contracted(second), wrt: inputs)
            return (first + secondPlain + second + third).map(\.values)
        }
        let fused = try derivatives(fused: true), composed = try derivatives(fused: false)
        XCTAssertEqual(fused.count, composed.count)
        for (k, (a, e)) in zip(fused, composed).enumerated() {
            let scale = e.map(abs).max() ?? 1
            for (u, v) in zip(a, e) { XCTAssertEqual(u, v, accuracy: 1e-12 * max(1, scale), "derivative \(k / 4 + 1), input \(k % 4)") }
        }
        let f = { (t: [Tensor<Double>]) throws -> Tensor<Double> in try loss(t, fused: true) }
        XCTAssertLessThan(try GradCheck.gradientError([x, w, b, m], f), 1e-6)
        XCTAssertLessThan(try GradCheck.secondGradientError([x, w, b, m], f), 1e-4)
    }

    func testBadShapesNameWhatIsExpected() throws {
        let x = Tensor<Double>.ones([1, 1, 6, 6])
        XCTAssertThrowsError(try x.conv2dMaxPooled(.ones([2, 1, 3, 3]), bias: .ones([3]))) {
            XCTAssertTrue("\($0)".contains("bias has shape [3]; expected [2]"), "\($0)")
        }
        XCTAssertThrowsError(try x.conv2dMaxPooled(.ones([2, 1, 6, 6]))) {
            XCTAssertTrue("\($0)".contains("kernel 2 is larger than the padded input 1×1"), "\($0)")
        }
    }

    func testNonFiniteInputsPoolAsTheComposition() throws {
        // NaN and ±∞ in the image: the fused forward (the AVX-512 kernel on Float, where the CPU
        // has it) must give the composition's maxima bit for bit, and the same routing, which the
        // input's gradient shows (a window holding NaN has it as its maximum, its last NaN routing).
        var rng = SeededRandom(seed: 33)
        var pixels = Tensor<Float>.normal([2, 1, 28, 28], using: &rng).values
        for (k, v) in [(5, Float.nan), (40, .infinity), (41, -.infinity), (300, .nan), (301, .nan), (900, .infinity)] { pixels[k] = v }
        let x = try Tensor<Float>(shape: [2, 1, 28, 28], values: pixels), w = Tensor<Float>.normal([6, 1, 5, 5], using: &rng)
        let b = Tensor<Float>.normal([6], using: &rng)
        for rectified in [false, true] {
            func run(fused: Bool) throws -> (values: [UInt32], gradient: [UInt32]) {
                let xl = x.requiringGrad()
                let z = fused ? try xl.conv2dMaxPooled(w, bias: b, padding: 2, rectified: rectified)
                    : try xl.conv2d(w, bias: b, padding: 2).maxPool2d(kernel: 2, rectified: rectified)
                let g = try Autograd.gradients(of: z.sum(), wrt: [xl])[0]
                return (z.values.map(\.bitPattern), g.values.map(\.bitPattern))
            }
            let (fused, composed) = (try run(fused: true), try run(fused: false))
            XCTAssertEqual(fused.values, composed.values, "rectified \(rectified): maxima")
            XCTAssertEqual(fused.gradient, composed.gradient, "rectified \(rectified): the input's gradient")
            // the NaNs reach the output, rectified or not, as they do in PyTorch
            XCTAssertTrue(fused.values.contains { Float(bitPattern: $0).isNaN }, "rectified \(rectified): NaN in the output")
        }
    }
}
