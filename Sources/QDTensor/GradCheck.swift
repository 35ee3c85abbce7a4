/// Finite-difference checks of the autodiff, in Float64 (the precision they are meaningful in).
public enum GradCheck {
    /// The largest |analytic − numeric| / max(1, |numeric|) over every input element, where the
    /// function is reduced to the scalar L = Σ r ⊙ f(inputs) with fixed random weights r, the
    /// analytic gradient comes from ``Autograd`` and the numeric one from central differences
    /// with step `epsilon`.
    public static func gradientError(_ inputs: [Tensor<Double>], epsilon: Double = 1e-6, seed: UInt64 = 7,
                                     _ f: ([Tensor<Double>]) throws -> Tensor<Double>) throws -> Double {
        var rng = SeededRandom(seed: seed)
        let probe = try f(inputs.map { $0.detached })
        let weights = Tensor<Double>.normal(probe.shape, using: &rng)
        func loss(_ xs: [Tensor<Double>]) throws -> Tensor<Double> { try (f(xs) * weights).sum() }
        let leaves = inputs.map { $0.detached.requiringGrad() }
        let analytic = try Autograd.gradients(of: loss(leaves), wrt: leaves)
        var worst = 0.0
        for (i, x) in inputs.enumerated() {
            for k in 0..<x.count {
                func shifted(_ d: Double) throws -> Double {
                    var v = x.values
                    v[k] += d
                    var xs = inputs.map { $0.detached }
                    xs[i] = try Tensor(shape: x.shape, values: v)
                    return try loss(xs).item
                }
                let numeric = (try shifted(epsilon) - shifted(-epsilon)) / (2 * epsilon)
                worst = max(worst, abs(analytic[i].values[k] - numeric) / max(1, abs(numeric)))
            }
        }
        return worst
    }

    /// The same check one order up: the gradient G(x) = ∂L/∂x, taken with `createGraph`, is
    /// itself checked by ``gradientError(_:epsilon:seed:_:)`` (second derivatives).
    public static func secondGradientError(_ inputs: [Tensor<Double>], epsilon: Double = 1e-5, seed: UInt64 = 11,
                                           _ f: @escaping ([Tensor<Double>]) throws -> Tensor<Double>) throws -> Double {
        var rng = SeededRandom(seed: seed ^ 0x5bd1)
        let probe = try f(inputs.map { $0.detached })
        let weights = Tensor<Double>.normal(probe.shape, using: &rng)
        return try gradientError(inputs, epsilon: epsilon, seed: seed) { xs in
            let leaves = xs.map { $0.requiresGrad ? $0 : $0.requiringGrad() }
            let l = try (f(leaves) * weights).sum()
            let grads = try Autograd.gradients(of: l, wrt: leaves, createGraph: true)
            return try Tensor.concatenated(grads.map { try $0.reshaped([-1]) }, axis: 0)
        }
    }
}

