import Foundation
import QDTensor

/// Dataset distillation (Wang et al. 2018, as in SsnL/dataset-distillation): synthetic images and
/// per-step learning rates, learned so that a network trained on them alone does well on real data.
///
/// One outer iteration, with T = steps × epochs inner steps and θ₀ the network's initial weights:
///
///     θ_{k+1} = θ_k − softplus(r_k) · ∇_θ CE(f(x̃_{k mod steps}; θ_k), ỹ)      (graph kept; frozen blocks masked)
///     L = CE(f(x_real; θ_T), y_real)
///     (x̃, r) ← Adam((x̃, r), ∂L/∂(x̃, r))
///
/// ∂L/∂(x̃, r) is exact: it differentiates through every inner gradient (Hessian-vector products),
/// with no first-order shortcut. Labels are fixed: `imagesPerClass` of each class per step.
public final class Distiller<M: Model, S: TensorScalar> {
    /// What to distil and how.
    public typealias Configuration = DistillerConfiguration

    /// The network the images are distilled for.
    public let model: M
    /// What is distilled and how.
    public let configuration: Configuration
    /// The synthetic images, [steps · imagesPerClass · classes, C, H, W], in normalised space.
    public private(set) var images: Tensor<S>
    /// Their fixed labels: each step holds `imagesPerClass` of every class, in class order.
    public let labels: [Int]
    /// The raw rates r_k (the step sizes are softplus(r_k)), one per inner step.
    public private(set) var rawRates: Tensor<S>
    private var imageOptimizer: Adam<S>
    private var rateOptimizer: Adam<S>

    /// A distiller whose images start at N(0, 1) from `seed`.
    public init(model: M, configuration: Configuration, seed: UInt64) {
        self.model = model
        self.configuration = configuration
        let c = configuration
        let perStep = c.imagesPerClass * model.classes
        var rng = SeededRandom(seed: seed)
        images = Tensor<S>.normal([c.steps * perStep] + model.inputShape, using: &rng)
        labels = (0..<c.steps).flatMap { _ in (0..<model.classes).flatMap { k in [Int](repeating: k, count: c.imagesPerClass) } }
        // softplus⁻¹(η) = log(e^η − 1)
        let raw = S(Foundation.log(Foundation.exp(c.distillLearningRate) - 1))
        rawRates = Tensor<S>(vector: [S](repeating: raw, count: c.innerSteps))
        imageOptimizer = Adam(learningRate: c.learningRate, beta1: c.beta1, beta2: c.beta2)
        rateOptimizer = Adam(learningRate: c.learningRate, beta1: c.beta1, beta2: c.beta2)
    }

    /// The outer Adam rate of both the images and the rates (the run's step decay sets it).
    public var outerLearningRate: Double {
        get { imageOptimizer.learningRate }
        set { imageOptimizer.learningRate = newValue; rateOptimizer.learningRate = newValue }
    }

    /// Everything that changes during distillation, for checkpoints.
    public struct State: Codable, Equatable, Sendable {
        /// The synthetic images and the raw (pre-softplus) rates.
        public var images: [Float], rawRates: [Float]
        /// The two Adam optimisers' moments and step counts.
        public var imageOptimizer: Adam<S>.State, rateOptimizer: Adam<S>.State
    }

    /// The current state; setting it (after checking sizes) resumes exactly.
    public func state() -> State {
        State(images: images.values.map { Float($0) }, rawRates: rawRates.values.map { Float($0) },
              imageOptimizer: imageOptimizer.state, rateOptimizer: rateOptimizer.state)
    }

    /// Restores a state saved by ``state()``.
    public func restore(_ s: State) throws {
        guard s.images.count == images.count, s.rawRates.count == rawRates.count else {
            throw TensorError.shape("distiller state: \(s.images.count) image values and \(s.rawRates.count) rates; this distiller has \(images.count) and \(rawRates.count)")
        }
        images = try Tensor(shape: images.shape, values: s.images.map { S($0) })
        rawRates = try Tensor(shape: rawRates.shape, values: s.rawRates.map { S($0) })
        imageOptimizer.state = s.imageOptimizer
        rateOptimizer.state = s.rateOptimizer
    }

    /// The learned step sizes softplus(r_k).
    public var learningRates: [S] { rawRates.softplus().values }

    /// θ_T: `initial` trained on the synthetic data (`images` and `rawRates` may carry gradients).
    public func unroll(from initial: Tensor<S>, images x: Tensor<S>, rawRates r: Tensor<S>, keepGraph: Bool) throws -> Tensor<S> {
        let c = configuration
        let perStep = c.imagesPerClass * model.classes
        var theta = initial.requiresGrad ? initial : initial.requiringGrad()
        let rates = r.softplus()
        for k in 0..<c.innerSteps {
            let d = k % c.steps
            let batch = try x.sliced(axis: 0, (d * perStep)..<((d + 1) * perStep))
            let loss = try model.forward(batch, parameters: theta).crossEntropy(labels: Array(labels[(d * perStep)..<((d + 1) * perStep)]))
            let g = try model.maskingFrozen(Autograd.gradients(of: loss, wrt: [theta], createGraph: keepGraph, stopAtInputs: true)[0])
            theta = try theta - g * rates.sliced(axis: 0, k..<(k + 1))
        }
        return theta
    }

    /// The outer loss on a real batch and its exact gradients with respect to the images and raw rates.
    public func metaGradient(initial: Tensor<S>, realImages: Tensor<S>, realLabels: [Int]) throws
        -> (loss: S, images: Tensor<S>, rawRates: Tensor<S>) {
        let x = images.requiringGrad(), r = rawRates.requiringGrad()
        let theta = try unroll(from: initial, images: x, rawRates: r, keepGraph: true)
        let logits = try model.forward(realImages, parameters: theta)
        let outer = try logits.crossEntropy(labels: realLabels)
        let grads = try Autograd.gradients(of: outer, wrt: [x, r])
        batchAccuracy = Double(zip(Trainer.predictions(logits), realLabels).filter { $0 == $1 }.count) / Double(max(realLabels.count, 1))
        return (outer.item, grads[0], grads[1])
    }

    /// Accuracy on the last real batch of the network trained on the synthetic data (the last
    /// initialisation's, for random init): a live view of how well the distilled images teach.
    public private(set) var batchAccuracy = 0.0

    /// One outer iteration: the meta-gradient averaged over the initial weights in `initials` (one
    /// for a fixed init, several for random init), then one Adam step. Returns the mean outer loss.
    /// On a non-finite loss or gradient it throws and leaves the images, rates and optimiser state
    /// as they were.
    @discardableResult
    public func step(initials: [Tensor<S>], realImages: Tensor<S>, realLabels: [Int]) throws -> S {
        guard !initials.isEmpty else { throw TensorError.argument("distillation step: needs at least one initial network") }
        var loss = 0.0
        var gx: Tensor<S>?, gr: Tensor<S>?
        for initial in initials {
            let (l, x, r) = try metaGradient(initial: initial, realImages: realImages, realLabels: realLabels)
            loss += Double(l)
            gx = try gx.map { try $0 + x } ?? x
            gr = try gr.map { try $0 + r } ?? r
        }
        let scale = 1 / Double(initials.count)
        let meanX = gx!.scaled(by: S(scale)), meanR = gr!.scaled(by: S(scale))
        loss *= scale
        guard loss.isFinite, meanX.values.allSatisfy(\.isFinite), meanR.values.allSatisfy(\.isFinite) else {
            throw TensorError.argument("distillation diverged: the outer loss is \(loss) or a meta-gradient is not finite; images, rates and optimiser state were kept")
        }
        var newImages = images, newRates = rawRates
        try imageOptimizer.step(&newImages, gradient: meanX)
        try rateOptimizer.step(&newRates, gradient: meanR)
        images = newImages
        rawRates = newRates
        return S(loss)
    }

    /// One outer iteration from the single initial weights `initial`.
    @discardableResult
    public func step(initial: Tensor<S>, realImages: Tensor<S>, realLabels: [Int]) throws -> S {
        try step(initials: [initial], realImages: realImages, realLabels: realLabels)
    }

    /// `initial` trained on the given images (default: the distilled ones) for the T inner steps,
    /// with the learned step sizes or, when `stepSize` is given, that constant step size (no graph
    /// kept): what a user of the distilled data does. Used for evaluation and the baselines.
    public func train(from initial: Tensor<S>, images x: Tensor<S>? = nil, stepSize: Double? = nil) throws -> Tensor<S> {
        let x = x ?? images
        guard x.shape == images.shape else {
            throw TensorError.shape("training images must have the distilled images' shape \(images.shape); got \(x.shape)")
        }
        var r = rawRates.detached
        if let eta = stepSize {
            guard eta > 0, eta.isFinite else { throw TensorError.argument("step size \(eta) must be positive and finite") }
            let raw = S(Foundation.log(Foundation.expm1(eta)))
            r = Tensor<S>(vector: [S](repeating: raw, count: rawRates.count))
        }
        return try unroll(from: initial.detached, images: x.detached, rawRates: r, keepGraph: false).detached
    }
}

/// What a ``Distiller`` distils and how (defaults: the paper's MNIST settings).
public struct DistillerConfiguration: Codable, Sendable, Equatable {
    /// Synthetic images of each class per step.
    public var imagesPerClass = 1
    /// Distinct steps (sets of synthetic images).
    public var steps = 1
    /// Passes over the steps; T = steps × epochs inner gradient steps.
    public var epochs = 3
    /// Initial inner learning rate: 0.02 for MNIST, 0.001 for CIFAR-10 in the reference code.
    public var distillLearningRate = 0.02
    /// Outer Adam rate and betas.
    public var learningRate = 0.01
    /// The outer Adam's betas.
    public var beta1 = 0.5, beta2 = 0.999

    /// The defaults.
    public init() {}

    /// Inner gradient steps per outer iteration, T = steps × epochs.
    public var innerSteps: Int { steps * epochs }
}
