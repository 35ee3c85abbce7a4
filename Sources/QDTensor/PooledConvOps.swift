extension Tensor {
    /// maxPool2d(conv2d(x, w, b), kernel: 2) as one operation (2×2 windows, stride 2), with the same
    /// values bit for bit: LeNet's first layer. The convolution's output is pooled at once and not
    /// kept; with the AVX-512 kernels (Float, output rows of 17 to 32 columns) it is never written:
    /// each pair of its rows is pooled in registers (``Kernels/convForwardMaxPooled(_:_:bias:_:rectified:)``).
    ///
    /// Its backward rule gives ∂x through the pooling's scatter and the convolution's input
    /// gradient, as the two operations would. For ∂w and ∂b of a one-channel kernel of five rows
    /// (at most eight taps wide), they come straight from the pooled gradient and the argmax cells
    /// (``Kernels/pooledConvWeightGradient(_:_:_:_:)``: only the windows that route a gradient,
    /// and the convolution's ∂y is never formed); a pass that records a graph (`createGraph`)
    /// records them as operations of x and the pooled gradient
    /// (``pooledConvParameterGradients(_:_:_:)``), whose own rules are the composition's. Every
    /// derivative equals the composition's up to rounding. Other kernels are the two operations
    /// themselves.
    public func conv2dMaxPooled(_ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, rectified: Bool = false) throws -> Tensor {
        let g = try Conv2dGeometry(input: shape, weight: weight.shape, stride: stride, padding: padding)
        if let b = bias, b.shape != [g.outChannels] {
            throw TensorError.shape("conv2dMaxPooled: bias has shape \(b.shape); expected [\(g.outChannels)]")
        }
        guard Kernels.pooledConvWeightGradientApplies(g) else {
            return try conv2d(weight, bias: bias, stride: stride, padding: padding)
                .maxPool2d(kernel: 2, stride: 2, padding: 0, rectified: rectified, op: "conv2dMaxPooled")
        }
        let (pooled, routing) = try pooledForward(weight, bias: bias, g, rectified: rectified)
        // the input gradient, and the weight and bias gradients, in two pieces that a parallel
        // backward pass runs side by side
        return Tensor.record(pooled, [self, weight] + (bias.map { [$0] } ?? []), pieces: [
            ([0], { dz in [self.needsGradient ? try dz.scatteredToMaxima(routing).conv2dInputGrad(weight, g) : nil] }),
            (bias == nil ? [1] : [1, 2], { dz in
                let (wantsWeight, wantsBias) = (weight.needsGradient, bias?.needsGradient == true)
                guard wantsWeight || wantsBias else { return [nil, nil] }
                let (dw, db) = self.pooledConvParameterGradients(dz, routing, g)
                return [wantsWeight ? dw : nil, wantsBias ? db : nil]
            }),
        ])
    }

    /// The pooled convolution and its routing: from the fused kernel where it applies
    /// (``Kernels/convForwardMaxPooled(_:_:bias:_:rectified:)``), else the convolution's output,
    /// then its pooling.
    private func pooledForward(_ weight: Tensor, bias: Tensor?, _ g: Conv2dGeometry, rectified: Bool) throws -> (Tensor, PoolRouting) {
        if let (maxima, argmax) = Kernels.convForwardMaxPooled(values, weight.values, bias: bias?.values, g, rectified: rectified) {
            let routing = PoolRouting(argmax: argmax, inputShape: g.outputShape, disjoint: true, twoByTwo: true)
            return (Tensor(unchecked: [g.batch, g.outChannels, g.outHeight / 2, g.outWidth / 2], maxima), routing)
        }
        let y = Tensor(unchecked: g.outputShape, Kernels.convForward(values, weight.values, bias: bias?.values, g))
        return try y.maxPooled(kernel: 2, stride: 2, padding: 0, rectified: rectified, op: "conv2dMaxPooled")
    }
}
