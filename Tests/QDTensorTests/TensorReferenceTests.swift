import XCTest
import QDTensor

/// Operations against slow, obvious references, and errors for bad shapes.
final class TensorReferenceTests: XCTestCase {
    func testConv2dMatchesNaiveLoop() throws {
        // Small patches with stride 1 take the direct path (several output vectors per row, and a
        // partial last one); sixteen outputs of larger patches the channel-lane path; other larger
        // patches and strides take im2col + GEMM (the 40-image case spans five chunks of images).
        // The input gradient (the channel-lane path's own, or im2col's transpose) is checked too.
        var rng = SeededRandom(seed: 5)
        let cases: [(n: Int, c: Int, h: Int, w: Int, o: Int, kh: Int, kw: Int, stride: Int, padding: Int)] = [
            (3, 2, 7, 6, 4, 3, 2, 1, 0), (3, 2, 7, 6, 4, 3, 2, 1, 2), (3, 2, 7, 6, 4, 3, 2, 2, 1), (3, 2, 7, 6, 4, 3, 2, 3, 0),
            (3, 1, 9, 21, 3, 5, 5, 1, 2), (3, 6, 7, 13, 3, 3, 2, 1, 1), (3, 3, 8, 8, 2, 4, 3, 2, 0), (40, 2, 20, 20, 3, 5, 5, 1, 0),
            // the direct path's register tiles (3 channels × 4 vectors, 3 channels × 4 taps) and
            // their leftovers: LeNet's first layer with 7 channels, and 38-wide rows (4 whole
            // vectors, then a partial one)
            (2, 1, 28, 28, 7, 5, 5, 1, 2), (2, 1, 30, 38, 6, 5, 5, 1, 2), (2, 3, 14, 30, 7, 5, 5, 1, 0),
            // im2col's padding edges: rows shorter than eight, and edges wider than eight
            (2, 2, 5, 4, 3, 3, 3, 1, 1), (1, 2, 4, 4, 2, 3, 3, 1, 9),
            // padded stride-1 layers on the GEMM path take im2col from a padded copy (AlexCifarNet's
            // layers); the second has 500 × 1,296 im2col values per image, so one image per chunk,
            // and its weight gradient sums its 12 chunks in 8 runs
            (2, 8, 9, 11, 20, 5, 5, 1, 2), (12, 20, 36, 36, 3, 5, 5, 1, 2),
            // sixteen outputs and large patches take the channel-lane path: LeNet's second layer,
            // and 25 images (two chunks) of 7 channels and 18-wide rows, every tile's leftovers
            (3, 6, 14, 14, 16, 5, 5, 1, 0), (25, 7, 12, 18, 16, 4, 5, 1, 0),
        ]
        for t in cases {
            let x = Tensor<Double>.normal([t.n, t.c, t.h, t.w], using: &rng), w = Tensor<Double>.normal([t.o, t.c, t.kh, t.kw], using: &rng)
            let y = try x.conv2d(w, stride: t.stride, padding: t.padding)
            let oh = (t.h + 2 * t.padding - t.kh) / t.stride + 1, ow = (t.w + 2 * t.padding - t.kw) / t.stride + 1
            XCTAssertEqual(y.shape, [t.n, t.o, oh, ow])
            // y, and the input gradient of Σ r ⊙ y: Σ r · (the weight over each input)
            let r = Tensor<Double>.normal(y.shape, using: &rng)
            var naive = [Double](repeating: 0, count: y.count), naiveDx = [Double](repeating: 0, count: x.count)
            for n in 0..<t.n { for o in 0..<t.o { for i in 0..<oh { for j in 0..<ow {
                var acc = 0.0
                let out = ((n * t.o + o) * oh + i) * ow + j
                for c in 0..<t.c { for ki in 0..<t.kh { for kj in 0..<t.kw {
                    let rr = i * t.stride - t.padding + ki, s = j * t.stride - t.padding + kj
                    if rr >= 0 && rr < t.h && s >= 0 && s < t.w {
                        let input = ((n * t.c + c) * t.h + rr) * t.w + s, weight = ((o * t.c + c) * t.kh + ki) * t.kw + kj
                        acc += x.values[input] * w.values[weight]
                        naiveDx[input] += r.values[out] * w.values[weight]
                    }
                } } }
                naive[out] = acc
                XCTAssertEqual(y.values[out], acc, accuracy: 1e-12, "\(t)")
            } } } }
            // the weight gradient of Σ r ⊙ y is Σ r · (the input under each weight)
            let wl = w.requiringGrad()
            let dw = try Autograd.gradients(of: (x.conv2d(wl, stride: t.stride, padding: t.padding) * r).sum(), wrt: [wl])[0]
            for o in 0..<t.o { for c in 0..<t.c { for ki in 0..<t.kh { for kj in 0..<t.kw {
                var acc = 0.0
                for n in 0..<t.n { for i in 0..<oh { for j in 0..<ow {
                    let rr = i * t.stride - t.padding + ki, s = j * t.stride - t.padding + kj
                    if rr >= 0 && rr < t.h && s >= 0 && s < t.w {
                        acc += r.values[((n * t.o + o) * oh + i) * ow + j] * x.values[((n * t.c + c) * t.h + rr) * t.w + s]
                    }
                } } }
                XCTAssertEqual(dw.values[((o * t.c + c) * t.kh + ki) * t.kw + kj], acc, accuracy: 1e-10, "\(t): weight gradient")
            } } } }
            let xl = x.requiringGrad()
            let dx = try Autograd.gradients(of: (xl.conv2d(w, stride: t.stride, padding: t.padding) * r).sum(), wrt: [xl])[0]
            for (a, b) in zip(dx.values, naiveDx) { XCTAssertEqual(a, b, accuracy: 1e-10, "\(t): input gradient") }
            // Float agrees too
            let yf = try x.converted(to: Float.self).conv2d(w.converted(to: Float.self), stride: t.stride, padding: t.padding)
            for (a, b) in zip(yf.values, naive) { XCTAssertEqual(Double(a), b, accuracy: 1e-4, "\(t): Float") }
            let xf = x.converted(to: Float.self).requiringGrad()
            let dxf = try Autograd.gradients(of: (xf.conv2d(w.converted(to: Float.self), stride: t.stride, padding: t.padding)
                                                  * r.converted(to: Float.self)).sum(), wrt: [xf])[0]
            for (a, b) in zip(dxf.values, naiveDx) { XCTAssertEqual(Double(a), b, accuracy: 1e-4, "\(t): Float input gradient") }
        }
    }

    func testSixteenChannelConvolutionSumsInItsDocumentedOrder() throws {
        // LeNet's second layer (patch 150, 16 outputs), a layer with every tile's leftovers
        // (7 channels, 140 taps, 126 positions, 18-wide rows) and one with a kernel wider than a
        // vector (3 × 11, 20 positions), in Float against scalar loops that sum in the documented
        // order, bit for bit: on the AVX2 path, and on the AVX-512 one where the CPU has it
        let wide = WideKernels.enabled
        defer { WideKernels.enabled = wide }
        if !WideKernels.available { print("note: this CPU has no AVX-512; only the AVX2 kernels are checked") }
        for usesWideVectors in WideKernels.available ? [true, false] : [false] {
        WideKernels.enabled = usesWideVectors
        var rng = SeededRandom(seed: 15)
        for (n, c, h, w, kh, kw) in [(3, 6, 14, 14, 5, 5), (2, 7, 12, 18, 4, 5), (2, 3, 4, 20, 3, 11)] {
            let x = Tensor<Float>.normal([n, c, h, w], using: &rng).requiringGrad()
            let weight = Tensor<Float>.normal([16, c, kh, kw], using: &rng).requiringGrad()
            let bias = Tensor<Float>.normal([16], using: &rng)
            let y = try x.conv2d(weight, bias: bias)
            let (oh, ow) = (h - kh + 1, w - kw + 1), positions = (h - kh + 1) * (w - kw + 1), patch = c * kh * kw
            let r = Tensor<Float>.normal(y.shape, using: &rng)
            let grads = try Autograd.gradients(of: (y * r).sum(), wrt: [x, weight])
            func input(_ i: Int, _ ch: Int, _ row: Int, _ col: Int) -> Float { x.values[((i * c + ch) * h + row) * w + col] }
            func kernel(_ o: Int, _ ch: Int, _ ki: Int, _ kj: Int) -> Float { weight.values[((o * c + ch) * kh + ki) * kw + kj] }
            func upstream(_ i: Int, _ o: Int, _ row: Int, _ col: Int) -> Float { r.values[((i * 16 + o) * oh + row) * ow + col] }
            var expected = [Float](), expectedDx = [Float](), expectedDwt = [Float](repeating: 0, count: patch * 16)
            for i in 0..<n { for o in 0..<16 { for p in 0..<positions {
                // one multiply-add chain over the taps, then the bias
                var chain: Float = 0
                for ch in 0..<c { for ki in 0..<kh { for kj in 0..<kw {
                    chain = chain.addingProduct(kernel(o, ch, ki, kj), input(i, ch, p / ow + ki, p % ow + kj))
                } } }
                expected.append(bias.values[o] + chain)
            } } }
            for i in 0..<n { for ch in 0..<c { for row in 0..<h { for col in 0..<w {
                // one chain over the outputs per tap, the taps added in order
                var sum: Float = 0
                for ki in 0..<kh where (0..<oh).contains(row - ki) { for kj in 0..<kw where (0..<ow).contains(col - kj) {
                    var chain: Float = 0
                    for o in 0..<16 { chain = chain.addingProduct(kernel(o, ch, ki, kj), upstream(i, o, row - ki, col - kj)) }
                    sum += chain
                } }
                expectedDx.append(sum)
            } } } }
            for i in 0..<n { for ch in 0..<c { for ki in 0..<kh { for kj in 0..<kw { for o in 0..<16 {
                // one chain over the positions per image, the images added in order
                var chain: Float = 0
                for p in 0..<positions { chain = chain.addingProduct(upstream(i, o, p / ow, p % ow), input(i, ch, p / ow + ki, p % ow + kj)) }
                expectedDwt[((ch * kh + ki) * kw + kj) * 16 + o] += chain
            } } } } }
            let expectedDw = (0..<(16 * patch)).map { expectedDwt[($0 % patch) * 16 + $0 / patch] }
            XCTAssertEqual(zip(y.values, expected).filter { $0 != $1 }.count, 0, "\(c) channels, wide \(usesWideVectors): output")
            XCTAssertEqual(zip(grads[0].values, expectedDx).filter { $0 != $1 }.count, 0, "\(c) channels, wide \(usesWideVectors): input gradient")
            XCTAssertEqual(zip(grads[1].values, expectedDw).filter { $0 != $1 }.count, 0, "\(c) channels: weight gradient")
        }
        }
    }

    func testDirectConvolutionSumsInItsDocumentedOrder() throws {
        // the direct path's forward pass (LeNet's first layer on MNIST and CIFAR-10, and 7 outputs
        // of 36-wide rows: every tile's leftovers) in Float against a scalar chain from the bias
        // over the taps in order, zero padding included, and its input gradient (the transposed
        // convolution's forward pass), bit for bit: on the AVX2 path, and on the AVX-512 one where
        // the CPU has it
        let wide = WideKernels.enabled
        defer { WideKernels.enabled = wide }
        for usesWideVectors in WideKernels.available ? [true, false] : [false] {
            WideKernels.enabled = usesWideVectors
            var rng = SeededRandom(seed: 16)
            for (n, c, h, w, o, k, padding) in [(2, 1, 28, 28, 6, 5, 2), (2, 3, 32, 32, 6, 5, 0), (2, 2, 9, 38, 7, 3, 0)] {
                let x = Tensor<Float>.normal([n, c, h, w], using: &rng), weight = Tensor<Float>.normal([o, c, k, k], using: &rng)
                let bias = Tensor<Float>.normal([o], using: &rng)
                let y = try x.conv2d(weight, bias: bias, padding: padding)
                let (oh, ow) = (h + 2 * padding - k + 1, w + 2 * padding - k + 1)
                var expected = [Float]()
                for i in 0..<n { for out in 0..<o { for row in 0..<oh { for col in 0..<ow {
                    var chain = bias.values[out]
                    for ch in 0..<c { for ki in 0..<k { for kj in 0..<k {
                        let (r, s) = (row + ki - padding, col + kj - padding)
                        let input: Float = (0..<h).contains(r) && (0..<w).contains(s) ? x.values[((i * c + ch) * h + r) * w + s] : 0
                        chain = chain.addingProduct(input, weight.values[((out * c + ch) * k + ki) * k + kj])
                    } } }
                    expected.append(chain)
                } } } }
                XCTAssertEqual(zip(y.values, expected).filter { $0 != $1 }.count, 0, "\(c) channel(s), \(o) outputs, wide \(usesWideVectors)")
                // the input gradient of Σ r ⊙ y: one chain from 0 over (o, a, b) of the flipped
                // weight times r zero-padded by k − 1 − p
                let xl = x.requiringGrad(), r = Tensor<Float>.normal(y.shape, using: &rng)
                let dx = try Autograd.gradients(of: (xl.conv2d(weight, bias: bias, padding: padding) * r).sum(), wrt: [xl])[0]
                let border = k - 1 - padding
                var expectedDx = [Float]()
                for i in 0..<n { for ch in 0..<c { for row in 0..<h { for col in 0..<w {
                    var chain: Float = 0
                    for out in 0..<o { for a in 0..<k { for b in 0..<k {
                        let (u, v) = (row + a - border, col + b - border)
                        let upstream: Float = (0..<oh).contains(u) && (0..<ow).contains(v) ? r.values[((i * o + out) * oh + u) * ow + v] : 0
                        chain = chain.addingProduct(upstream, weight.values[((out * c + ch) * k + k - 1 - a) * k + k - 1 - b])
                    } } }
                    expectedDx.append(chain)
                } } } }
                XCTAssertEqual(zip(dx.values, expectedDx).filter { $0 != $1 }.count, 0,
                               "\(c) channel(s), \(o) outputs, wide \(usesWideVectors): input gradient")
            }
        }
    }

    func testDirectWeightGradientIsTheSameOnBothPaths() throws {
        // the AVX-512 weight gradient of the direct path (six outputs to a tile) sums the AVX2
        // path's per-lane chains, so the bits must agree: LeNet's first layer on MNIST and
        // CIFAR-10, and twelve outputs of a 6-wide kernel on 19-wide rows (two tiles, leftover
        // taps, a partial last vector); the naive-loop test checks the values themselves
        guard WideKernels.available else { print("note: this CPU has no AVX-512; one path only"); return }
        let wide = WideKernels.enabled
        defer { WideKernels.enabled = wide }
        var rng = SeededRandom(seed: 17)
        for (n, c, h, w, o, k, padding) in [(3, 1, 28, 28, 6, 5, 2), (2, 3, 32, 32, 6, 5, 0), (2, 2, 9, 19, 12, 6, 1)] {
            let x = Tensor<Float>.normal([n, c, h, w], using: &rng), weight = Tensor<Float>.normal([o, c, k, k], using: &rng).requiringGrad()
            let r = Tensor<Float>.normal(try x.conv2d(weight, padding: padding).shape, using: &rng)
            let gradients = try [true, false].map { usesWideVectors in
                WideKernels.enabled = usesWideVectors
                return try Autograd.gradients(of: (x.conv2d(weight, padding: padding) * r).sum(), wrt: [weight])[0].values
            }
            XCTAssertEqual(zip(gradients[0], gradients[1]).filter { $0 != $1 }.count, 0, "\(c) channel(s), \(o) outputs")
        }
    }

    func testConvolutionOfAnEmptyBatchHasZeroWeightGradient() throws {
        var rng = SeededRandom(seed: 4)
        let w = Tensor<Double>.normal([3, 2, 3, 3], using: &rng).requiringGrad()
        let y = try Tensor<Double>.normal([0, 2, 6, 6], using: &rng).conv2d(w, padding: 1)
        XCTAssertEqual(y.shape, [0, 3, 6, 6])
        XCTAssertEqual(try Autograd.gradients(of: y.sum(), wrt: [w])[0].values, [Double](repeating: 0, count: 54))
    }

    /// Normal draws rounded to small integers, and with a ReLU unless the pooling is `rectified`
    /// (which rectifies itself), so that windows often hold several equal maxima.
    private func smallIntegers(_ shape: [Int], rectified: Bool, using rng: inout SeededRandom) throws -> Tensor<Double> {
        let raw = Tensor<Double>.normal(shape, using: &rng)
        return try Tensor<Double>(shape: shape, values: raw.values.map { rectified ? $0.rounded() : max(0, $0.rounded()) })
    }

    /// Max pooling of `x` and the gradient of ⟨r, pool(x)⟩, computed in `scalar` ("Double" or
    /// "Float") and returned as Doubles.
    private func maxPoolAndGradient(_ x: Tensor<Double>, _ r: Tensor<Double>, in scalar: String, kernel: Int, stride: Int,
                                    padding: Int, rectified: Bool) throws -> (y: [Double], grad: [Double]) {
        if scalar == "Double" {
            let xl = x.requiringGrad(), out = try xl.maxPool2d(kernel: kernel, stride: stride, padding: padding, rectified: rectified)
            XCTAssertEqual(out.shape, r.shape)
            return (out.values, try Autograd.gradients(of: (out * r).sum(), wrt: [xl])[0].values)
        }
        let xl = x.converted(to: Float.self).requiringGrad()
        let out = try xl.maxPool2d(kernel: kernel, stride: stride, padding: padding, rectified: rectified)
        XCTAssertEqual(out.shape, r.shape)
        return (out.values.map(Double.init),
                try Autograd.gradients(of: (out * r.converted(to: Float.self)).sum(), wrt: [xl])[0].values.map(Double.init))
    }

    /// Max pooling of `x` [N, C, H, W] by a plain loop with PyTorch's rule, and the gradient of
    /// ⟨r, pool(x)⟩: each window scanned in row-major order, padding skipped, a cell replacing the
    /// maximum when greater or NaN (so the first of equal maxima wins, and the last NaN); rectified,
    /// a maximum ≤ 0 gives 0 and routes nothing.
    private func naiveMaxPool(_ x: Tensor<Double>, _ r: Tensor<Double>, kernel: Int, stride: Int, padding: Int,
                              rectified: Bool) -> (out: [Double], grad: [Double]) {
        let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3]), (oh, ow) = (r.shape[2], r.shape[3])
        var out = [Double](repeating: 0, count: r.count), grad = [Double](repeating: 0, count: x.count)
        for plane in 0..<planes { for i in 0..<oh { for j in 0..<ow {
            var best = -1
            for di in 0..<kernel { for dj in 0..<kernel {
                let (a, b) = (stride * i - padding + di, stride * j - padding + dj)
                guard (0..<h).contains(a), (0..<w).contains(b) else { continue }
                let k = plane * h * w + a * w + b
                if best < 0 || x.values[k] > x.values[best] || x.values[k].isNaN { best = k }
            } }
            let o = (plane * oh + i) * ow + j
            let dead = rectified && x.values[best] <= 0
            out[o] = dead ? 0 : x.values[best]
            if !dead { grad[best] += r.values[o] }
        } } }
        return (out, grad)
    }

    func testSliceAndPadMatchNaiveLoops() throws {
        // both copy blocks into an array that is not zero-filled first: a slice's blocks tile it,
        // a padding zeroes only the cells between its blocks (along the first, a middle and the
        // last axis, with zero-width padding on one side)
        var rng = SeededRandom(seed: 18)
        let x = Tensor<Double>.normal([3, 4, 5], using: &rng)
        func value(_ i: Int, _ j: Int, _ k: Int) -> Double { x.values[(i * 4 + j) * 5 + k] }
        for axis in 0..<3 {
            let n = x.shape[axis], (before, after) = ([2, 0, 1][axis], [1, 3, 0][axis])
            var sliced = [Double](), padded = [Double]()
            for i in 0..<3 { for j in 0..<4 { for k in 0..<5 {
                let index = [i, j, k][axis]
                if (1..<(n - 1)).contains(index) { sliced.append(value(i, j, k)) }
            } } }
            var paddedShape = x.shape
            paddedShape[axis] += before + after
            for i in 0..<paddedShape[0] { for j in 0..<paddedShape[1] { for k in 0..<paddedShape[2] {
                var at = [i, j, k]
                at[axis] -= before
                padded.append((0..<n).contains(at[axis]) ? value(at[0], at[1], at[2]) : 0)
            } } }
            XCTAssertEqual(try x.sliced(axis: axis, 1..<(n - 1)).values, sliced, "slice along axis \(axis)")
            let p = try x.padded(axis: axis, before: before, after: after)
            XCTAssertEqual(p.shape, paddedShape)
            XCTAssertEqual(p.values, padded, "padding along axis \(axis)")
        }
    }

    func testMaxPoolMatchesNaiveLoopWithTies() throws {
        // The inputs are small integers (after a ReLU, or rounded), so many windows have several
        // maxima; the gradient must go to the first in row-major window order, as PyTorch's does.
        // Widths cover the vector path (4 windows at a time) and its remainders. Rectified pooling
        // is ReLU(max): a window whose maximum is not positive gives 0 and routes no gradient.
        var rng = SeededRandom(seed: 15)
        for (h, w) in [(28, 28), (10, 10), (6, 9), (4, 2), (3, 17)] { for rectified in [false, true] {
            let x = try smallIntegers([2, 3, h, w], rectified: rectified, using: &rng)
            let r = Tensor<Double>.normal([2, 3, h / 2, w / 2], using: &rng)
            for scalar in ["Double", "Float"] {
                let (y, grad) = try maxPoolAndGradient(x, r, in: scalar, kernel: 2, stride: 2, padding: 0, rectified: rectified)
                let (expectedOut, expectedGrad) = naiveMaxPool(x, r, kernel: 2, stride: 2, padding: 0, rectified: rectified)
                for (a, e) in zip(y, expectedOut) { XCTAssertEqual(a, e, accuracy: 1e-6, "\(scalar) \(h)×\(w) rectified \(rectified)") }
                for (a, e) in zip(grad, expectedGrad) { XCTAssertEqual(a, e, accuracy: 1e-6, "\(scalar) \(h)×\(w) rectified \(rectified): gradient") }
            }
        } }
    }

    func testNaNIsAWindowsMaximumAsInPyTorch() throws {
        // PyTorch's rule, scanning a window in row-major order: a cell replaces the maximum when
        // greater or NaN. A window holding NaN gives NaN and routes its gradient to its last NaN;
        // rectified, ReLU keeps the NaN. Every path: 2×2 Float eight and four windows at a time,
        // 2×2 Double (the general loop), 3×3 stride 2 padding 1 (inner windows unrolled, edges
        // general), with NaNs in first cells, in later cells and two to a window.
        var rng = SeededRandom(seed: 17)
        for (kernel, stride, padding, h, w) in [(2, 2, 0, 6, 28), (2, 2, 0, 4, 10), (3, 2, 1, 9, 8)] { for rectified in [false, true] {
            var values = try smallIntegers([2, 2, h, w], rectified: true, using: &rng).values
            for k in values.indices where k % 7 == 3 || k % 11 == 0 { values[k] = .nan }
            let x = try Tensor<Double>(shape: [2, 2, h, w], values: values)
            let (oh, ow) = ((h + 2 * padding - kernel) / stride + 1, (w + 2 * padding - kernel) / stride + 1)
            let r = Tensor<Double>.normal([2, 2, oh, ow], using: &rng)
            let (expectedOut, expected) = naiveMaxPool(x, r, kernel: kernel, stride: stride, padding: padding, rectified: rectified)
            XCTAssertTrue(expectedOut.contains { $0.isNaN } && expectedOut.contains { !$0.isNaN }, "the case must mix NaN and numbers")
            for scalar in ["Double", "Float"] {
                let (y, grad) = try maxPoolAndGradient(x, r, in: scalar, kernel: kernel, stride: stride, padding: padding, rectified: rectified)
                let place = "\(scalar) \(kernel)×\(kernel) on \(h)×\(w) rectified \(rectified)"
                for (o, (a, e)) in zip(y, expectedOut).enumerated() {
                    if e.isNaN { XCTAssertTrue(a.isNaN, "\(place): window \(o) holds NaN, gave \(a)") } else { XCTAssertEqual(a, e, place) }
                }
                for (a, e) in zip(grad, expected) { XCTAssertEqual(a, e, accuracy: 1e-6, "\(place): gradient") }
            }
        } }
    }

    func testOverlappingPaddedMaxPoolMatchesNaiveLoop() throws {
        // AlexCifarNet's pooling (3×3, stride 2, padding 1): windows share cells, so a cell can
        // receive several windows' gradients; padding never wins. Windows inside the image take an
        // unrolled path, those on the edges the general one. The inputs are small integers, so
        // most windows have several maxima, and the first in row-major order must win on both
        // paths, in Float as in Double.
        var rng = SeededRandom(seed: 16)
        for (h, w) in [(9, 8), (32, 32), (7, 35), (16, 16), (5, 20)] { for rectified in [false, true] {
            let x = try smallIntegers([2, 2, h, w], rectified: rectified, using: &rng)
            let (oh, ow) = ((h + 2 - 3) / 2 + 1, (w + 2 - 3) / 2 + 1)
            let r = Tensor<Double>.normal([2, 2, oh, ow], using: &rng)
            let (expectedOut, expected) = naiveMaxPool(x, r, kernel: 3, stride: 2, padding: 1, rectified: rectified)
            for scalar in ["Double", "Float"] {
                let (y, grad) = try maxPoolAndGradient(x, r, in: scalar, kernel: 3, stride: 2, padding: 1, rectified: rectified)
                let place = "\(scalar) \(h)×\(w) rectified \(rectified)"
                for (a, e) in zip(y, expectedOut) { XCTAssertEqual(a, e, accuracy: 1e-6, place) }
                for (a, e) in zip(grad, expected) { XCTAssertEqual(a, e, accuracy: 1e-5, "\(place): gradient") }
            }
        } }
    }

    func testFloatAndDoubleAgree() throws {
        var rng = SeededRandom(seed: 6)
        let x = Tensor<Double>.normal([2, 3, 8, 8], using: &rng), w = Tensor<Double>.normal([5, 3, 3, 3], using: &rng)
        let yd = try x.conv2d(w, padding: 1).maxPool2d(kernel: 2).relu()
        let yf = try x.converted(to: Float.self).conv2d(w.converted(to: Float.self), padding: 1).maxPool2d(kernel: 2).relu()
        for (a, b) in zip(yd.values, yf.values) { XCTAssertEqual(a, Double(b), accuracy: 1e-4) }
    }

    func testThreadedKernelsMatchOneThread() throws {
        // Large inputs take the split paths (pooling by planes, elementwise by ranges, conv by
        // chunks, matrix products by rows of the result).
        var rng = SeededRandom(seed: 8)
        let x = Tensor<Float>.normal([16, 6, 28, 28], using: &rng), y = Tensor<Float>.normal([16, 6, 28, 28], using: &rng)
        let w = Tensor<Float>.normal([4, 6, 5, 5], using: &rng)
        let a = Tensor<Float>.normal([256, 400], using: &rng), b = Tensor<Float>.normal([400, 120], using: &rng)
        let at = Tensor<Float>.normal([400, 256], using: &rng), bt = Tensor<Float>.normal([120, 400], using: &rng)
        // above the split threshold (2^17 elements) for broadcasts and reductions too
        let z = Tensor<Float>.normal([40, 6, 28, 28], using: &rng), bias = Tensor<Float>.normal([1, 6, 1, 1], using: &rng)
        let images = Tensor<Float>.normal([64, 1, 28, 28], using: &rng), w1 = Tensor<Float>.normal([6, 1, 5, 5], using: &rng)
        /// A convolution's output, and its input and weight gradients for a fixed upstream gradient.
        func convolution(_ x: Tensor<Float>, _ w: Tensor<Float>, padding: Int) throws -> [Float] {
            let (xl, wl) = (x.requiringGrad(), w.requiringGrad())
            let y = try xl.conv2d(wl, padding: padding)
            let grads = try Autograd.gradients(of: (y * y).sum(), wrt: [xl, wl])
            return y.values + grads[0].values + grads[1].values
        }
        func run() throws -> (exact: [Float], products: [Float], sums: [Float]) {
            // chunked convolutions (im2col + GEMM, and direct) with their gradients: every chunk's
            // partial weight gradient is added in chunk order, whichever thread ran it
            (try (x * y).maxPool2d(kernel: 2).values + convolution(x + y, w, padding: 2) + convolution(images, w1, padding: 2)
                + (z + bias).values + (bias * z).values,
             try a.matmul(b).values + at.matmul(bt, transposeSelf: true, transposeOther: true).values,
             try z.sum(axes: [0, 2, 3]).values + z.sum(axes: [1]).values + a.sum(axes: [0]).values)
        }
        let saved = TensorThreads.count
        defer { TensorThreads.count = saved }
        TensorThreads.count = 1
        let serial = try run()
        TensorThreads.count = 2
        let threaded = try run()
        XCTAssertEqual(zip(threaded.exact, serial.exact).filter { $0 != $1 }.count, 0, "elementwise, pooling and convolution must not depend on the thread count")
        // reductions split into as many parts at any thread count, so they agree bit for bit too
        XCTAssertEqual(threaded.sums, serial.sums)
        // BLAS blocks a row split differently, so products agree to rounding, not bit for bit
        for (p, q) in zip(threaded.products, serial.products) { XCTAssertEqual(p, q, accuracy: 1e-4 * max(1, abs(q))) }
        // and the sums against a plain loop in Double (a split walk must start its odometer mid-shape)
        var byChannel = [Double](repeating: 0, count: 6), byPosition = [Double](repeating: 0, count: 40 * 784)
        for n in 0..<40 { for c in 0..<6 { for k in 0..<784 {
            let v = Double(z.values[(n * 6 + c) * 784 + k])
            byChannel[c] += v
            byPosition[n * 784 + k] += v
        } } }
        for (p, q) in zip(threaded.sums, byChannel + byPosition) { XCTAssertEqual(Double(p), q, accuracy: 1e-3 * max(1, abs(q))) }
    }

    func testBroadcastArithmeticMatchesNaiveLoop() throws {
        // every run kind of the broadcast kernel: one operand a single value (either side), both
        // contiguous, and one broadcast along the run; each element is one operation, so the
        // results must be equal, not close
        var rng = SeededRandom(seed: 12)
        let shapes: [([Int], [Int])] = [([7], [1]), ([1], [7]), ([59369], [1]), ([2, 3, 4], [3, 4]), ([2, 3, 4], [2, 1, 4]),
                                        ([4, 1], [1, 3]), ([2, 1, 5], [3, 1]), ([], [2, 2])]
        /// a ∘ b by indices: the output index read through each operand's shape (a 1 repeats).
        func naive(_ a: Tensor<Double>, _ b: Tensor<Double>, _ shape: [Int], _ f: (Double, Double) -> Double) -> [Double] {
            func offset(_ index: [Int], _ s: [Int]) -> Int {
                let lead = index.count - s.count
                return s.indices.reduce(0) { $0 * s[$1] + (s[$1] == 1 ? 0 : index[lead + $1]) }
            }
            let count = shape.reduce(1, *)
            return (0..<count).map { flat in
                var rest = flat, index = [Int](repeating: 0, count: shape.count)
                for d in shape.indices.reversed() { index[d] = rest % shape[d]; rest /= shape[d] }
                return f(a.values[offset(index, a.shape)], b.values[offset(index, b.shape)])
            }
        }
        for (sa, sb) in shapes {
            let a = Tensor<Double>.normal(sa, using: &rng), b = Tensor<Double>.normal(sb, using: &rng).shifted(by: 3)
            let shape = try (a + b).shape
            XCTAssertEqual(try (a + b).values, naive(a, b, shape, +), "\(sa) + \(sb)")
            XCTAssertEqual(try (a - b).values, naive(a, b, shape, -), "\(sa) - \(sb)")
            XCTAssertEqual(try (a * b).values, naive(a, b, shape, *), "\(sa) * \(sb)")
            XCTAssertEqual(try (a / b).values, naive(a, b, shape, /), "\(sa) / \(sb)")
        }
    }

    func testKnownValues() throws {
        let a = try Tensor<Double>(shape: [2, 2], values: [1, 2, 3, 4]), b = try Tensor<Double>(shape: [2, 2], values: [5, 6, 7, 8])
        // x·Wᵀ + b: rows [1, 2]·[5, 6]ᵀ = 17, [1, 2]·[7, 8]ᵀ = 23, [3, 4]·… = 39, 53, plus (10, 20)
        XCTAssertEqual(try a.linear(b, Tensor(vector: [10, 20])).values, [27, 43, 49, 73])
        XCTAssertEqual(try a.matmul(b).values, [19, 22, 43, 50])
        XCTAssertEqual(try a.matmul(b, transposeSelf: true).values, [26, 30, 38, 44])
        XCTAssertEqual(try a.sum(axes: [0]).values, [4, 6])
        let logits = try Tensor<Double>(shape: [1, 3], values: [1, 2, 3])
        XCTAssertEqual(try logits.crossEntropy(labels: [2]).item, -log(exp(3) / (exp(1) + exp(2) + exp(3))), accuracy: 1e-12)
        XCTAssertEqual(try Tensor<Double>(shape: [2], values: [3, 4]).l2Normalized().values, [0.6, 0.8])
        // a dimension of 1 broadcasts to any size, 0 included (NumPy's rule)
        XCTAssertEqual(try (Tensor<Double>(2) + Tensor<Double>.zeros([2, 0, 4])).shape, [2, 0, 4])
        XCTAssertEqual(try Tensor<Double>(2).expanded(to: [3, 0]).shape, [3, 0])
    }

    func testGatherAlongAnAxisMatchesNaiveLoopAndItsGradientScatters() throws {
        // rows copied whole along axes 0, 1 and 2 (inner blocks of 12, 4 and 1), repeated and
        // reordered indices, and an empty selection
        var rng = SeededRandom(seed: 11)
        let x = Tensor<Double>.normal([2, 3, 4], using: &rng)
        for (axis, indices) in [(0, [1, 1, 0]), (1, [2, 0, 2, 1]), (2, [3, 0]), (1, [])] {
            let y = try x.gathered(axis: axis, indices: indices)
            var shape = x.shape
            shape[axis] = indices.count
            XCTAssertEqual(y.shape, shape)
            var naive: [Double] = []
            for a in 0..<shape[0] { for b in 0..<shape[1] { for c in 0..<shape[2] {
                var source = [a, b, c]
                source[axis] = indices[source[axis]]
                naive.append(x.values[(source[0] * 3 + source[1]) * 4 + source[2]])
            } } }
            XCTAssertEqual(y.values, naive, "axis \(axis), indices \(indices)")
            // ∂(Σ r ⊙ y)/∂x adds r into every row a selected index came from
            let r = Tensor<Double>.normal(shape, using: &rng), xl = x.requiringGrad()
            let g = try Autograd.gradients(of: (xl.gathered(axis: axis, indices: indices) * r).sum(), wrt: [xl])[0]
            var expected = [Double](repeating: 0, count: x.count), k = 0
            for a in 0..<shape[0] { for b in 0..<shape[1] { for c in 0..<shape[2] {
                var source = [a, b, c]
                source[axis] = indices[source[axis]]
                expected[(source[0] * 3 + source[1]) * 4 + source[2]] += r.values[k]
                k += 1
            } } }
            XCTAssertEqual(g.values, expected, "axis \(axis), indices \(indices)")
        }
        XCTAssertThrowsError(try x.gathered(axis: 1, indices: [0, 3])) { XCTAssertTrue("\($0)".contains("index 3 is outside 0..<3 of axis 1")) }
    }

    func testFiniteCheckFindsTheFirstNaNOrInfinity() throws {
        XCTAssertTrue(Tensor<Float>.zeros([3, 5]).isFinite)
        XCTAssertNil(Tensor<Double>(vector: [1, -2, 1e300]).firstNonFiniteIndex)
        XCTAssertEqual(Tensor<Float>(vector: [0, 1, .infinity, .nan]).firstNonFiniteIndex, 2)
        XCTAssertEqual(Tensor<Double>(vector: [0, -.infinity]).firstNonFiniteIndex, 1)
        XCTAssertFalse(Tensor<Double>(vector: [.nan]).isFinite)
        XCTAssertTrue(Tensor<Float>(vector: []).isFinite)
    }

    func testHessianVectorProductOfAQuadraticIsExact() throws {
        // f(x) = ½ xᵀAx with symmetric A has Hessian A, so H·v = A·v exactly.
        var rng = SeededRandom(seed: 7)
        let m = Tensor<Double>.normal([4, 4], using: &rng)
        let a = try m + m.transposed()
        let x = Tensor<Double>.normal([4, 1], using: &rng).requiringGrad()
        let v = Tensor<Double>.normal([4, 1], using: &rng)
        let f = try x.matmul(a.matmul(x), transposeSelf: true) * 0.5
        let g = try Autograd.gradients(of: f, wrt: [x], createGraph: true)[0]
        let hv = try Autograd.gradients(of: (g * v).sum(), wrt: [x])[0]
        let expected = try a.matmul(v)
        for (p, q) in zip(hv.values, expected.values) { XCTAssertEqual(p, q, accuracy: 1e-12) }
    }

    func testLargeGraphsWithSharedInputsGetTheirClosedFormGradients() throws {
        // y₀ = x, y_k = a·y_{k−1} + x for k = 1 … 3,000, so y_N = x·Σ_{j ≤ N} aʲ: some 6,000
        // nodes, each step also reading the leaf x, so the pass's node table grows from 16 slots
        // many times over and finds x once per step. ∂y_N/∂x = Σ_{j ≤ N} aʲ and
        // ∂y_N/∂a = x·Σ_{1 ≤ j ≤ N} j·a^{j−1}; stopping at y_m (a boundary the pass does not
        // enter), ∂y_N/∂y_m = a^{N−m}.
        let (n, m, rate, start) = (3_000, 2_990, 0.5, 1.5)
        let x = try Tensor<Double>(shape: [1], values: [start]).requiringGrad()
        let a = try Tensor<Double>(shape: [1], values: [rate]).requiringGrad()
        var ys = [x]
        for _ in 1...n { ys.append(try a * ys.last! + x) }
        XCTAssertEqual(Autograd.graphSize(of: ys[n]), 2 * n + 2)
        let grads = try Autograd.gradients(of: ys[n], wrt: [x, a])
        XCTAssertEqual(grads[0].item, (0...n).reduce(0) { $0 + pow(rate, Double($1)) }, accuracy: 1e-12)
        XCTAssertEqual(grads[1].item, start * (1...n).reduce(0) { $0 + Double($1) * pow(rate, Double($1 - 1)) }, accuracy: 1e-12)
        let fromMiddle = try Autograd.gradients(of: ys[n], wrt: [ys[m]], stopAtInputs: true)[0]
        XCTAssertEqual(fromMiddle.item, pow(rate, Double(n - m)), accuracy: 1e-15)
    }

    func testGradientTrackingCanBeSwitchedOff() throws {
        let x = try Tensor<Double>(shape: [3], values: [1, 2, 3]).requiringGrad()
        let y = try Autograd.withoutGradients { try x * x }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue(try (x * x).requiresGrad)
    }

    func testBackwardRulesComputeOnlyTheGradientsTheWrtInputsNeed() throws {
        // f(a, b) = a ⊙ b as a custom operation whose rule notes which inputs it was asked for;
        // y = Σ (f(a, b) + c). A gradient with respect to a needs f's rule, but not b's gradient;
        // one with respect to c does not run f's rule at all.
        final class Asked { var log: [[Bool]] = [] }
        let asked = Asked()
        let a = try Tensor<Double>(shape: [2], values: [1, 2]).requiringGrad()
        let b = try Tensor<Double>(shape: [2], values: [3, 4]).requiringGrad()
        let c = try Tensor<Double>(shape: [2], values: [5, 6]).requiringGrad()
        let f = try (a * b).recorded(from: [a, b]) { g in
            asked.log.append([a.needsGradient, b.needsGradient])
            return [a.needsGradient ? try g * b : nil, b.needsGradient ? try g * a : nil]
        }
        let y = try (f + c).sum()
        XCTAssertTrue(a.needsGradient, "outside a backward pass it is requiresGrad")
        XCTAssertEqual(try Autograd.gradients(of: y, wrt: [a])[0].values, [3, 4])
        XCTAssertEqual(asked.log, [[true, false]])
        XCTAssertEqual(try Autograd.gradients(of: y, wrt: [c])[0].values, [1, 1])
        XCTAssertEqual(asked.log.count, 1, "f's rule ran although no gradient with respect to c passes through it")
        XCTAssertEqual(try Autograd.gradients(of: y, wrt: [b, a]).map(\.values), [[1, 2], [3, 4]])
        XCTAssertEqual(asked.log.last, [true, true])
        // the convolution's rule, skipping the input's gradient, gives the same weight gradient
        var rng = SeededRandom(seed: 9)
        let x = Tensor<Double>.normal([2, 1, 6, 6], using: &rng).requiringGrad(), w = Tensor<Double>.normal([3, 1, 3, 3], using: &rng).requiringGrad()
        let loss = try x.conv2d(w, padding: 1).squared().sum()
        XCTAssertEqual(try Autograd.gradients(of: loss, wrt: [w])[0].values, try Autograd.gradients(of: loss, wrt: [x, w])[1].values)
    }

    func testBadShapesAreErrorsNamingTheShapes() {
        let a = Tensor<Double>.zeros([2, 3]), b = Tensor<Double>.zeros([4, 5])
        XCTAssertThrowsError(try a + b) { XCTAssertTrue("\($0)".contains("[2, 3] and [4, 5] do not broadcast")) }
        XCTAssertThrowsError(try a.matmul(b)) { XCTAssertTrue("\($0)".contains("(3 vs 4)")) }
        XCTAssertThrowsError(try a.reshaped([5])) { XCTAssertTrue("\($0)".contains("cannot become [5]")) }
        XCTAssertThrowsError(try a.sum(axes: [2])) { XCTAssertTrue("\($0)".contains("valid: -2..<2")) }
        XCTAssertThrowsError(try Tensor<Double>.zeros([1, 2, 5, 5]).conv2d(.zeros([3, 4, 3, 3]))) {
            XCTAssertTrue("\($0)".contains("input has 2 channel(s), the weight expects 4"))
        }
        XCTAssertThrowsError(try Tensor<Double>.zeros([2, 3]).l2Normalized()) { XCTAssertTrue("\($0)".contains("must be nonzero")) }
        XCTAssertThrowsError(try a.crossEntropy(labels: [0, 7])) { XCTAssertTrue("\($0)".contains("label 7 is outside 0..<3")) }
        XCTAssertThrowsError(try Tensor<Double>(shape: [2, 2], values: [1])) { XCTAssertTrue("\($0)".contains("holds 4 element(s)")) }
        // shapes whose element counts overflow an Int are errors, not traps
        XCTAssertThrowsError(try Tensor<Double>(shape: [.max, 2], values: [1])) { XCTAssertTrue("\($0)".contains("more elements than an Int counts")) }
        XCTAssertThrowsError(try a.reshaped([.max, 2, 3])) { XCTAssertTrue("\($0)".contains("cannot become")) }
        XCTAssertThrowsError(try a.reshaped([-1, .max, 2])) { XCTAssertTrue("\($0)".contains("cannot infer -1")) }
        XCTAssertThrowsError(try a.gathered(flatIndices: [0], shape: [.max, 4])) { XCTAssertTrue("\($0)".contains("cannot fill shape")) }
        XCTAssertEqual(Tensor<Double>.elementCount([3, 0, .max]), 0)
        XCTAssertNil(Tensor<Double>.elementCount([2, -1]))
    }
}

import Foundation
