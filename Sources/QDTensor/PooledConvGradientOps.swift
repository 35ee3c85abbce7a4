/// The weight and bias gradients of ``Tensor/conv2dMaxPooled(_:bias:stride:padding:rectified:)``
/// as differentiable operations of the input x and the pooled gradient ∂z, for a pass that
/// records its graph (the distillation's inner steps, which the meta-gradient differentiates
/// again). Their values skip the convolution's dense ∂y: only the windows that route a gradient
/// count.
extension Tensor {
    /// ∂w [O, 1, 5, kw] = Σ_windows ∂z_k · x_pad[patch under window k's argmax] and
    /// ∂b [O] = Σ_windows ∂z_k (self is x; the windows that route a gradient), both from one pass
    /// of ``Kernels/pooledConvWeightGradient(_:_:_:_:)``, recorded when the pass records a graph
    /// (constants otherwise). ∂w is linear in x and in ∂z; for its gradient w̄ its backward rule
    /// is, in two pieces,
    ///
    ///     ∂x = conv2dInputGrad(scatter(∂z), w̄),   ∂(∂z) = gather(conv2d(x, w̄))
    ///
    /// (the pooling's scatter to the argmax cells and its adjoint, the gather from them): dense
    /// kernels. Versions that visit only the argmax cells were slower in the distillation's
    /// profile: a patch of five taps fills five of a vector's eight lanes and needs a horizontal
    /// sum, and adding patches into ∂x stalls on the overlapping stores of neighbouring windows.
    /// ∂b's backward spreads b̄[o] over the routed windows (``routedSpread(_:shape:)``).
    func pooledConvParameterGradients(_ dz: Tensor, _ routing: PoolRouting, _ g: Conv2dGeometry) -> (weight: Tensor, bias: Tensor) {
        let x = self
        let (w, b) = Kernels.pooledConvWeightGradient(values, dz.values, routing, g)
        let weight = Tensor.record(Tensor(unchecked: g.weightShape, w), [x, dz], pieces: [
            ([0], { wbar in [x.needsGradient ? try dz.scatteredToMaxima(routing).conv2dInputGrad(wbar, g) : nil] }),
            ([1], { wbar in
                [dz.needsGradient ? try x.conv2d(wbar, stride: g.stride, padding: g.padding).gatheredAtMaxima(routing, shape: dz.shape) : nil]
            }),
        ])
        let bias = Tensor.record(Tensor(unchecked: [g.outChannels], b), [dz]) { bbar in [bbar.routedSpread(routing, shape: dz.shape)] }
        return (weight, bias)
    }

    /// Σ of self (a pooled gradient) over each channel's windows that route a gradient
    /// (``Kernels/routedChannelSum(_:_:)``): the adjoint of ``routedSpread(_:shape:)``, and its
    /// backward. Its backward spreads b̄[o] over those windows again.
    func routedChannelSum(_ routing: PoolRouting) -> Tensor {
        let v = self
        return Tensor.record(Tensor(unchecked: [routing.inputShape[1]], Kernels.routedChannelSum(values, routing)), [v]) { bbar in
            [bbar.routedSpread(routing, shape: v.shape)]
        }
    }

    /// self[o] at every window of channel o that routes a gradient, 0 elsewhere, in `shape`: the
    /// adjoint of ``routedChannelSum(_:)``.
    func routedSpread(_ routing: PoolRouting, shape: [Int]) -> Tensor {
        Tensor.record(Tensor(unchecked: shape, Kernels.routedSpread(values, routing)), [self]) { vbar in [vbar.routedChannelSum(routing)] }
    }
}
