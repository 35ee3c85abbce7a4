extension Tensor {
    /// maxPool2d(conv2d(x, w, b), kernel: 2) as one operation (2×2 windows, stride 2), with the same
    /// values bit for bit: LeNet's first layer. The convolution's output is pooled at once and not
    /// kept.
    ///
    /// Its backward rule gives ∂x through the pooling's scatter and the convolution's input
    /// gradient, as the two operations would. For ∂w and ∂b of a one-channel kernel of five rows
    /// (at most eight taps wide), a pass that records no graph takes them straight from the pooled
    /// gradient and the argmax cells (``Kernels/pooledConvWeightGradient(_:_:_:_:)``: only the
    /// windows that route a gradient, and the convolution's ∂y is never formed); a pass that
    /// records a graph (`createGraph`) takes the two operations' rules, so every higher derivative
    /// is the composition's. Other kernels are the two operations themselves.
    public func conv2dMaxPooled(_ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, rectified: Bool = false) throws -> Tensor {
        let g = try Conv2dGeometry(input: shape, weight: weight.shape, stride: stride, padding: padding)
        if let b = bias, b.shape != [g.outChannels] {
            throw TensorError.shape("conv2dMaxPooled: bias has shape \(b.shape); expected [\(g.outChannels)]")
        }
        guard Kernels.pooledConvWeightGradientApplies(g) else {
            return try conv2d(weight, bias: bias, stride: stride, padding: padding)
                .maxPool2d(kernel: 2, stride: 2, padding: 0, rectified: rectified, op: "conv2dMaxPooled")
        }
        let y = Tensor(unchecked: g.outputShape, Kernels.convForward(values, weight.values, bias: bias?.values, g))
        let (pooled, routing) = try y.maxPooled(kernel: 2, stride: 2, padding: 0, rectified: rectified, op: "conv2dMaxPooled")
        // the input gradient, and the weight and bias gradients, in two pieces that a parallel
        // backward pass runs side by side
        return Tensor.record(pooled, [self, weight] + (bias.map { [$0] } ?? []), pieces: [
            ([0], { dz in [self.needsGradient ? try dz.scatteredToMaxima(routing).conv2dInputGrad(weight, g) : nil] }),
            (bias == nil ? [1] : [1, 2], { dz in
                let (wantsWeight, wantsBias) = (weight.needsGradient, bias?.needsGradient == true)
                guard wantsWeight || wantsBias else { return [nil, nil] }
                if Autograd.isRecording {
                    let dy = try dz.scatteredToMaxima(routing)
                    return [wantsWeight ? try self.conv2dWeightGrad(dy, g) : nil, wantsBias ? try dy.sum(axes: [0, 2, 3]) : nil]
                }
                let (dw, db) = Kernels.pooledConvWeightGradient(self.values, dz.values, routing, g)
                return [wantsWeight ? Tensor(unchecked: g.weightShape, dw) : nil, wantsBias ? Tensor(unchecked: [g.outChannels], db) : nil]
            }),
        ])
    }
}
