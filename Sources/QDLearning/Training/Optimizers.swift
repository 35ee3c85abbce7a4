import QDTensor

/// An optimiser updates a flat parameter vector from its gradient. Updates happen outside the
/// autodiff graph (as PyTorch's `optimizer.step()` under `no_grad`).
public protocol Optimizer {
    associatedtype Scalar: TensorScalar
    /// The learning rate used by the next step (schedules change it between epochs).
    var learningRate: Double { get set }
    /// θ ← update(θ, ∇θ).
    mutating func step(_ parameters: inout Tensor<Scalar>, gradient: Tensor<Scalar>) throws
}

/// Stochastic gradient descent with momentum and weight decay, as PyTorch's `SGD` (dampening 0):
/// d = g + λθ;  b ← μb + d;  θ ← θ − η·b.
public struct SGD<Scalar: TensorScalar>: Optimizer {
    /// The step size η.
    public var learningRate: Double
    /// Momentum μ (PyTorch's convention: v ← μv + g, θ ← θ − ηv).
    public let momentum: Double
    /// L2 weight decay λ (g ← g + λθ).
    public let weightDecay: Double
    private var velocity: [Scalar] = []

    /// SGD with the given rate, momentum and weight decay.
    public init(learningRate: Double, momentum: Double = 0, weightDecay: Double = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    /// One update of `parameters` with `gradient` (same shape, finite).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func step(_ parameters: inout Tensor<Scalar>, gradient: Tensor<Scalar>) throws {
        try checkShapes(parameters, gradient)
        var p = parameters.values
        if velocity.isEmpty { velocity = [Scalar](repeating: 0, count: p.count) }
        let (eta, mu, lambda) = (Scalar(learningRate), Scalar(momentum), Scalar(weightDecay))
        for i in p.indices {
            let d = gradient.values[i] + lambda * p[i]
            velocity[i] = mu * velocity[i] + d
            p[i] -= eta * (momentum == 0 ? d : velocity[i])
        }
        parameters = try Tensor(shape: parameters.shape, values: p)
    }
}

/// Adam, as PyTorch's: m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
/// θ ← θ − η·m̂/(√v̂ + ε) with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
public struct Adam<Scalar: TensorScalar>: Optimizer {
    /// The step size η.
    public var learningRate: Double
    /// The moment decay rates and the denominator's ε.
    public let beta1: Double, beta2: Double, epsilon: Double
    private var m: [Double] = [], v: [Double] = []
    private var t = 0

    /// Adam with PyTorch's defaults.
    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// The moment estimates and step count, for checkpoints (the moments ``Packed``).
    public struct State: Codable, Equatable, Sendable {
        /// First and second moment estimates.
        @Packed public var m: [Double]
        @Packed public var v: [Double]
        /// The step count.
        public var t: Int

        /// A state with these moments and step count.
        public init(m: [Double], v: [Double], t: Int) { (self.m, self.v, self.t) = (m, v, t) }

        /// Throws unless this state fits `count` parameters: both moments empty (no step taken
        /// yet) or `count` long, and a step count in 0 ..< 2⁶³ − 1 (the next step adds one). `what`
        /// names the optimiser in the message.
        public func check(count: Int, what: String) throws {
            guard m.count == v.count, m.isEmpty || m.count == count, (0..<Int.max).contains(t) else {
                throw TensorError.shape("\(what): Adam moments of \(m.count) and \(v.count) values at step \(t); they must both be empty or hold the \(count) parameters, at a step in 0..<\(Int.max)")
            }
        }
    }

    /// The optimiser's state; setting it resumes exactly where a checkpoint left off.
    public var state: State {
        get { State(m: m, v: v, t: t) }
        set { (m, v, t) = (newValue.m, newValue.v, newValue.t) }
    }

    /// One update of `parameters` with `gradient` (same shape, finite).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func step(_ parameters: inout Tensor<Scalar>, gradient: Tensor<Scalar>) throws {
        try checkShapes(parameters, gradient)
        try state.check(count: parameters.count, what: "optimizer step")
        var p = parameters.values
        if m.isEmpty { m = [Double](repeating: 0, count: p.count); v = m }
        t += 1
        let c1 = 1 - pow(beta1, Double(t)), c2 = 1 - pow(beta2, Double(t))
        let (beta1, beta2, learningRate, epsilon) = (beta1, beta2, learningRate, epsilon)
        // on buffers, so the loop vectorises (each value the same operations as one at a time)
        gradient.values.withUnsafeBufferPointer { gradient in
            p.withUnsafeMutableBufferPointer { p in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        for i in 0..<p.count {
                            let g = Double(gradient[i])
                            m[i] = beta1 * m[i] + (1 - beta1) * g
                            v[i] = beta2 * v[i] + (1 - beta2) * g * g
                            p[i] -= Scalar(learningRate * (m[i] / c1) / ((v[i] / c2).squareRoot() + epsilon))
                        }
                    }
                }
            }
        }
        parameters = try Tensor(shape: parameters.shape, values: p)
    }
}

/// Multiplies the learning rate by `factor` every `every` epochs (PyTorch's `StepLR`).
public struct StepDecay: Sendable, Equatable {
    /// Epochs between decays.
    public let every: Int
    /// The factor applied each time.
    public let factor: Double

    /// A schedule multiplying the rate by `factor` every `every` epochs.
    public init(every: Int, factor: Double) {
        self.every = max(1, every)
        self.factor = factor
    }

    /// The rate for `epoch` (0-based) starting from `base`.
    public func rate(base: Double, epoch: Int) -> Double { base * pow(factor, Double(epoch / every)) }
}

private func checkShapes<S>(_ p: Tensor<S>, _ g: Tensor<S>) throws {
    guard p.shape == g.shape else {
        throw TensorError.shape("optimizer step: gradient shape \(g.shape) does not match the parameters \(p.shape)")
    }
    if let bad = g.firstNonFiniteIndex {
        throw TensorError.argument("optimizer step: gradient entry \(bad) is \(g.values[bad]); the step was not taken")
    }
}

import Foundation
