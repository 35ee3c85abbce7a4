import XCTest
import QDTensor

/// gradcheck and gradgradcheck (central differences in Float64) on every operation.
final class OpGradientTests: XCTestCase {
    var rng = SeededRandom(seed: 3)

    func random(_ shape: [Int], offset: Double = 0) -> Tensor<Double> {
        Tensor<Double>.normal(shape, mean: offset, using: &rng)
    }

    /// Checks first and second derivatives of `f` at `inputs`.
    func check(_ name: String, _ inputs: [Tensor<Double>], firstOnly: Bool = false, tolerance: Double = 1e-6,
               file: StaticString = #filePath, line: UInt = #line, _ f: @escaping ([Tensor<Double>]) throws -> Tensor<Double>) throws {
        let first = try GradCheck.gradientError(inputs, f)
        XCTAssertLessThan(first, tolerance, "\(name): gradient", file: file, line: line)
        if !firstOnly {
            let second = try GradCheck.secondGradientError(inputs, f)
            XCTAssertLessThan(second, 1e-4, "\(name): gradient of the gradient", file: file, line: line)
        }
    }

    func testArithmeticWithBroadcasting() throws {
        let a = random([2, 3, 4]), b = random([3, 1]), c = random([4], offset: 3)
        try check("add", [a, b]) { try $0[0] + $0[1] }
        try check("sub", [a, b]) { try $0[0] - $0[1] }
        try check("mul", [a, b]) { try $0[0] * $0[1] }
        try check("div", [a, c]) { try $0[0] / $0[1] }
        try check("neg and scalar ops", [a]) { -(($0[0] * 1.5) + 2) }
        try check("product of three", [a, b, c]) { try ($0[0] * $0[1]) * $0[2] }
    }

    func testDescentStep() throws {
        // θ − s⊙g with one step size and with one per element, against central differences, and
        // bit for bit against the two operations it fuses (values and all three gradients)
        let theta = random([2, 5]), g = random([2, 5]), one = random([1]), each = random([2, 5])
        try check("descended, one step size", [theta, g, one]) { try $0[0].descended(along: $0[1], stepSize: $0[2]).squared() * $0[1] }
        try check("descended, a step size each", [theta, g, each]) { try $0[0].descended(along: $0[1], stepSize: $0[2]).squared() }
        // (sizes past the eight- and 32-wide sums of the one-pass backward rule, with tails)
        var floats = SeededRandom(seed: 7)
        for shape in [[2, 5], [3, 37], [1003]] { for stepShape in [[1], shape] {
            let t = Tensor<Float>.normal(shape, using: &floats).requiringGrad(), d = Tensor<Float>.normal(shape, using: &floats).requiringGrad()
            let r = Tensor<Float>.normal(stepShape, using: &floats).requiringGrad(), upstream = Tensor<Float>.normal(shape, using: &floats)
            let fused = try t.descended(along: d, stepSize: r), composed = try t - d * r
            XCTAssertEqual(fused.values, composed.values, "step size \(stepShape)")
            let a = try Autograd.gradients(of: (fused * upstream).sum(), wrt: [t, d, r])
            let b = try Autograd.gradients(of: (composed * upstream).sum(), wrt: [t, d, r])
            for k in 0..<3 { XCTAssertEqual(a[k].values, b[k].values, "shape \(shape), step size \(stepShape), gradient \(k)") }
        } }
        XCTAssertThrowsError(try theta.descended(along: random([5, 2]), stepSize: one)) {
            XCTAssertTrue("\($0)".contains("expected [2, 5]"), "\($0)")
        }
        XCTAssertThrowsError(try theta.descended(along: g, stepSize: random([2]))) {
            XCTAssertTrue("\($0)".contains("one element or [2, 5]"), "\($0)")
        }
    }

    func testUnaryFunctions() throws {
        let x = random([3, 5]), positive = random([3, 5], offset: 4)
        try check("exp", [x]) { $0[0].exp() }
        try check("log", [positive]) { $0[0].log() }
        try check("tanh", [x]) { $0[0].tanh() }
        try check("sin", [x]) { $0[0].sin() }
        try check("cos", [x]) { $0[0].cos() }
        try check("sigmoid", [x]) { $0[0].sigmoid() }
        try check("softplus", [x]) { $0[0].softplus() }
        try check("sqrt", [positive]) { $0[0].sqrt() }
        try check("squared", [x]) { $0[0].squared() }
        // relu: values kept away from the kink so central differences do not straddle it
        let awayFromZero = try Tensor<Double>(shape: x.shape, values: x.values.map { $0 >= 0 ? $0 + 0.5 : $0 - 0.5 })
        try check("relu", [awayFromZero]) { try $0[0].relu() * $0[0] }
    }

    func testReductionsAndExpand() throws {
        let x = random([2, 3, 4])
        try check("sum", [x]) { try $0[0].sum() * $0[0].sum() }
        try check("sum axes", [x]) { try $0[0].sum(axes: [0, 2]).squared() }
        try check("sum keepDims", [x]) { try $0[0] * $0[0].sum(axes: [1], keepDims: true) }
        try check("mean axes", [x]) { try $0[0].mean(axes: [-1]).exp() }
        try check("expand", [random([3, 1])]) { try $0[0].expanded(to: [2, 3, 4]).squared() }
    }

    func testShapeOperations() throws {
        let x = random([2, 3, 4]), y = random([2, 2, 4])
        try check("reshape", [x]) { try $0[0].reshaped([6, 4]).squared() }
        try check("permute", [x]) { try $0[0].permuted([2, 0, 1]).squared() * 0.5 }
        try check("transpose", [random([3, 5])]) { try $0[0].transposed().matmul($0[0]) }
        try check("concat", [x, y]) { try Tensor.concatenated([$0[0], $0[1]], axis: 1).squared() }
        try check("slice", [x]) { try $0[0].sliced(axis: 1, 1..<3).squared() }
        try check("pad", [x]) { try $0[0].padded(axis: 2, before: 1, after: 2).squared() }
        try check("gather rows", [x]) { try $0[0].gathered(axis: 1, indices: [2, 0, 2]).squared() }
        try check("gather flat", [x]) { try $0[0].gathered(flatIndices: [5, 1, 5, 23], shape: [2, 2]).squared() }
        try check("scatter-add", [random([4])]) { try $0[0].scatterAdded(flatIndices: [3, 0, 3, 1], shape: [2, 3]).squared() }
    }

    func testBlocksOfOneTensorAssembleTheirGradients() throws {
        // Slices in storage order (a flat vector's blocks, rows of a matrix) are assembled into one
        // gradient by the backward pass: overlapping and repeated blocks add, a dense use of the
        // same tensor adds too, and the assembly is itself differentiable.
        try check("blocks of a vector", [random([9])]) { t in
            let x = t[0]
            let a = try x.sliced(axis: 0, 0..<4).reshaped([2, 2]), b = try x.sliced(axis: 0, 2..<6).reshaped([2, 2])
            let c = try x.sliced(axis: 0, 2..<6).reshaped([2, 2])
            return try (a.matmul(b) * c).sum() + (x * x).sum() * 0.5 + x.sliced(axis: 0, 8..<9).exp().sum()
        }
        try check("rows of a matrix", [random([4, 3])]) { t in
            let m = t[0]
            return try (m.sliced(axis: 0, 0..<2) * m.sliced(axis: 0, 1..<3)).squared().sum() + m.sliced(axis: 1, 0..<1).sum()
        }
        // disjoint blocks, used out of storage order, with cells no block covers (zero gradient)
        try check("disjoint blocks with gaps", [random([9])]) { t in
            let x = t[0]
            return try x.sliced(axis: 0, 6..<9).squared().sum() + x.sliced(axis: 0, 0..<2).exp().sum()
        }
        // the same, onto a dense use's gradient: blocks and the dense gradient are summed in one pass
        try check("disjoint blocks with gaps onto a dense use", [random([9])]) { t in
            let x = t[0]
            return try x.sliced(axis: 0, 6..<9).squared().sum() + x.sliced(axis: 0, 0..<2).exp().sum() + (x * x * x).sum()
        }
        // a block's −0 gradient assembles to +0, as adding it to zeros does, and so does a dense
        // use's −0 in a cell no block covers
        let x = Tensor<Double>(vector: [1, 2, 3, 4]).requiringGrad()
        let y = try (x.sliced(axis: 0, 0..<2) * Tensor<Double>(vector: [-0.0, 1])).sum() + x.sliced(axis: 0, 2..<4).sum()
        let g = try Autograd.gradients(of: y, wrt: [x])[0].values
        XCTAssertEqual(g, [0, 1, 1, 1])
        XCTAssertEqual(g[0].sign, .plus)
        let z = try (x * Tensor<Double>(vector: [-0.0, 1, 1, 1])).sum() + x.sliced(axis: 0, 2..<3).sum()
        let h = try Autograd.gradients(of: z, wrt: [x])[0].values
        XCTAssertEqual(h, [0, 1, 2, 1])
        XCTAssertEqual(h[0].sign, .plus)
    }

    func testMatmulInEveryTransposeCombination() throws {
        let a = random([3, 4]), b = random([4, 5]), at = random([4, 3]), bt = random([5, 4])
        try check("A·B", [a, b]) { try $0[0].matmul($0[1]) }
        try check("A·Bᵀ", [a, bt]) { try $0[0].matmul($0[1], transposeOther: true) }
        try check("Aᵀ·B", [at, b]) { try $0[0].matmul($0[1], transposeSelf: true) }
        try check("Aᵀ·Bᵀ", [at, bt]) { try $0[0].matmul($0[1], transposeSelf: true, transposeOther: true) }
        try check("(A·B)² for second derivatives", [a, b]) { try $0[0].matmul($0[1]).squared() }
        try check("linear: (x·Wᵀ + b)²", [a, random([5, 4]), random([5])]) { try $0[0].linear($0[1], $0[2]).squared() }
    }

    func testConvolutionWithStrideAndPadding() throws {
        for (stride, padding) in [(1, 0), (1, 2), (2, 1)] {
            let x = random([2, 3, 6, 5]), w = random([4, 3, 3, 3]), b = random([4])
            try check("conv2d s\(stride) p\(padding)", [x, w, b]) {
                try $0[0].conv2d($0[1], bias: $0[2], stride: stride, padding: padding).squared()
            }
        }
    }

    func testPooling() throws {
        // distinct values so that argmax does not flip under the finite-difference step
        let x = try Tensor<Double>(shape: [2, 2, 6, 6], values: (0..<144).map { Double(($0 * 37) % 144) / 20 })
        try check("maxPool2d", [x]) { try $0[0].maxPool2d(kernel: 2).squared() }
        try check("maxPool2d 3/2", [x]) { try $0[0].maxPool2d(kernel: 3, stride: 2).squared() }
        try check("maxPool2d 3/2 padded", [x]) { try $0[0].maxPool2d(kernel: 3, stride: 2, padding: 1).squared() }
        // rectified: some windows are all negative (no gradient), none sits at the kink 0
        let shifted = try x - Tensor(3.0125)
        try check("maxPool2d rectified", [shifted]) { try $0[0].maxPool2d(kernel: 2, rectified: true).squared() }
        try check("maxPool2d 3/2 padded rectified", [shifted]) { try $0[0].maxPool2d(kernel: 3, stride: 2, padding: 1, rectified: true).squared() }
        try check("avgPool2d", [random([2, 2, 6, 6])]) { try $0[0].avgPool2d(kernel: 2).squared() }
        try check("avgPool2d 3/2", [random([1, 2, 7, 7])]) { try $0[0].avgPool2d(kernel: 3, stride: 2).squared() }
    }

    func testLossesAndNormalisations() throws {
        let logits = random([4, 5])
        try check("logSoftmax", [logits]) { try $0[0].logSoftmax() }
        try check("cross-entropy, hard labels", [logits]) { try $0[0].crossEntropy(labels: [0, 3, 4, 1]) }
        let soft = try Tensor<Double>(shape: [4, 5], values: (0..<20).map { _ in Double.random(in: 0..<1, using: &rng) })
        try check("cross-entropy, soft labels", [logits, soft]) { try $0[0].crossEntropy(targets: $0[1]) }
        try check("l2Normalized", [random([3, 8])]) { try $0[0].l2Normalized() }
    }
}

