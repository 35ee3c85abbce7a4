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
///
/// With `learnLabels` (soft-label distillation, Sucholutsky and Schonlau 2019) each image also
/// carries a learned target row t̃ ∈ ℝ^classes, starting one-hot and unconstrained: the inner loss is
/// −(1/B) Σ_b Σ_k t̃_bk log softmax(f(x̃_b))_k, and (x̃, r, t̃) ← Adam together.
///
/// With `ratesPerLayer` (per-layer step sizes, as Meta-SGD learns per-parameter ones) each inner
/// step has one rate per layer of the model, r_{k,l}: θ_{k+1} = θ_k − softplus(r_{k,l(i)}) ⊙ ∇_θ CE,
/// where l(i) is the layer of parameter i.
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
    /// The raw rates (the step sizes are their softplus), one per inner step, or with
    /// `ratesPerLayer` one per inner step and layer, step-major: r_{k,l} at k · rateGroups + l.
    public private(set) var rawRates: Tensor<S>
    /// Rates per inner step: 1, or the model's layer count with `ratesPerLayer`.
    public let rateGroups: Int
    /// The layer (rate group) of each parameter, when `rateGroups` > 1.
    private let parameterGroups: [Int]
    /// The learned soft labels t̃, [images, classes], starting one-hot; nil unless
    /// `configuration.learnLabels`.
    public private(set) var targets: Tensor<S>?
    private var imageOptimizer: Adam<S>
    private var rateOptimizer: Adam<S>
    private var targetOptimizer: Adam<S>

    /// A distiller whose images start at N(0, 1) from `seed`.
    public init(model: M, configuration: Configuration, seed: UInt64) throws {
        self.model = model
        self.configuration = configuration
        let c = configuration
        let perStep = c.imagesPerClass * model.classes
        var rng = SeededRandom(seed: seed)
        images = Tensor<S>.normal([c.steps * perStep] + model.inputShape, using: &rng)
        labels = (0..<c.steps).flatMap { _ in (0..<model.classes).flatMap { k in [Int](repeating: k, count: c.imagesPerClass) } }
        // softplus⁻¹(η) = log(e^η − 1)
        let raw = S(Foundation.log(Foundation.exp(c.distillLearningRate) - 1))
        rateGroups = c.ratesPerLayer ? model.layout.layers.count : 1
        parameterGroups = c.ratesPerLayer ? model.layout.layerOfEachParameter : []
        smallInnerSteps = perStep * model.layout.count <= 1 << 20
        rawRates = Tensor<S>(vector: [S](repeating: raw, count: c.innerSteps * rateGroups))
        imageOptimizer = Adam(learningRate: c.learningRate, beta1: c.beta1, beta2: c.beta2)
        rateOptimizer = Adam(learningRate: c.learningRate, beta1: c.beta1, beta2: c.beta2)
        targetOptimizer = Adam(learningRate: c.learningRate, beta1: c.beta1, beta2: c.beta2)
        if c.learnLabels { targets = try Tensor<S>.oneHot(labels, classes: model.classes) }
    }

    /// Starts the synthetic images at `start` (same shape) instead of their N(0, 1) draw, before
    /// any outer step.
    public func startImages(at start: Tensor<S>) throws {
        guard start.shape == images.shape else {
            throw TensorError.shape("starting images have shape \(start.shape); the distilled images have shape \(images.shape)")
        }
        images = start.detached
    }

    /// The outer Adam rate of both the images and the rates (the run's step decay sets it).
    public var outerLearningRate: Double {
        get { imageOptimizer.learningRate }
        set { imageOptimizer.learningRate = newValue; rateOptimizer.learningRate = newValue; targetOptimizer.learningRate = newValue }
    }

    /// Everything that changes during distillation, for checkpoints.
    public struct State: Codable, Equatable, Sendable {
        /// The synthetic images (``Packed`` in checkpoints).
        @Packed public var images: [Float]
        /// The raw (pre-softplus) rates.
        public var rawRates: [Float]
        /// The two Adam optimisers' moments and step counts.
        public var imageOptimizer: Adam<S>.State, rateOptimizer: Adam<S>.State
        /// The learned soft labels and their optimiser's state (nil for fixed labels).
        public var targets: [Float]?, targetOptimizer: Adam<S>.State?
    }

    /// The current state; setting it (after checking sizes) resumes exactly.
    public func state() -> State {
        State(images: images.values.map { Float($0) }, rawRates: rawRates.values.map { Float($0) },
              imageOptimizer: imageOptimizer.state, rateOptimizer: rateOptimizer.state,
              targets: targets?.values.map { Float($0) }, targetOptimizer: targets == nil ? nil : targetOptimizer.state)
    }

    /// Restores a state saved by ``state()``.
    public func restore(_ s: State) throws {
        guard s.images.count == images.count, s.rawRates.count == rawRates.count else {
            throw TensorError.shape("distiller state: \(s.images.count) image values and \(s.rawRates.count) rates; this distiller has \(images.count) and \(rawRates.count)")
        }
        guard s.targets?.count == targets?.count, (s.targets == nil) == (s.targetOptimizer == nil) else {
            throw TensorError.shape("distiller state: \(s.targets.map { "\($0.count) soft-label values" } ?? "fixed labels"); this distiller has \(targets.map { "\($0.count) soft-label values" } ?? "fixed labels")")
        }
        try s.imageOptimizer.check(count: images.count, what: "distiller state: the images' optimiser")
        try s.rateOptimizer.check(count: rawRates.count, what: "distiller state: the rates' optimiser")
        try s.targetOptimizer?.check(count: targets?.count ?? 0, what: "distiller state: the soft labels' optimiser")
        images = try Tensor(shape: images.shape, values: s.images.map { S($0) })
        rawRates = try Tensor(shape: rawRates.shape, values: s.rawRates.map { S($0) })
        imageOptimizer.state = s.imageOptimizer
        rateOptimizer.state = s.rateOptimizer
        if let t = s.targets, let old = targets, let state = s.targetOptimizer {
            targets = try Tensor(shape: old.shape, values: t.map { S($0) })
            targetOptimizer.state = state
        }
    }

    /// The learned step sizes softplus(r), step-major (``rateGroups`` per inner step).
    public var learningRates: [S] { rawRates.softplus().values }

    /// θ_T: `initial` trained on the synthetic data (`images`, `rawRates` and `targets` may carry
    /// gradients); `targets` nil trains on the fixed one-hot labels.
    public func unroll(from initial: Tensor<S>, images x: Tensor<S>, rawRates r: Tensor<S>, targets t: Tensor<S>? = nil,
                       keepGraph: Bool) throws -> Tensor<S> {
        let c = configuration
        let perStep = c.imagesPerClass * model.classes
        var theta = initial.requiresGrad ? initial : initial.requiringGrad()
        let rates = r.softplus()
        for k in 0..<c.innerSteps {
            let d = k % c.steps
            let rows = (d * perStep)..<((d + 1) * perStep)
            let logits = try model.forward(x.sliced(axis: 0, rows), parameters: theta)
            let loss = try t.map { try logits.crossEntropy(targets: $0.sliced(axis: 0, rows)) } ?? logits.crossEntropy(labels: Array(labels[rows]))
            let g = try model.maskingFrozen(Autograd.gradients(of: loss, wrt: [theta], createGraph: keepGraph, stopAtInputs: true,
                                                               smallOperations: smallInnerSteps)[0])
            theta = try theta.descended(along: g, stepSize: stepSizes(rates, step: k))
        }
        return theta
    }

    /// Whether an inner step's operations are too small to split over the tensor threads one by
    /// one, so that its backward pass runs its nodes side by side instead (the same bits either
    /// way; ``Autograd/parallelMinimumNodesOfSmallOperations``): at most 2²⁰ images × parameters
    /// per step. LeNet and the quantum LeNet on ten images are (about 6·10⁵); AlexCifarNet, with
    /// 1.76 million parameters, is not.
    private let smallInnerSteps: Bool

    /// Inner step k's step sizes from all the step sizes `rates`: a one-element tensor that
    /// broadcasts, or with per-layer rates each parameter's layer's rate (a differentiable gather).
    private func stepSizes(_ rates: Tensor<S>, step k: Int) throws -> Tensor<S> {
        if rateGroups == 1 { return try rates.sliced(axis: 0, k..<(k + 1)) }
        let base = k * rateGroups
        return try rates.gathered(flatIndices: parameterGroups.map { base + $0 }, shape: [parameterGroups.count])
    }

    /// Real images per slice of the outer batch (default 256): the outer loss's forward and
    /// backward passes run slice by slice, so a batch of 1,024 never holds all its activations at
    /// once (AlexCifarNet's would take gigabytes) and each slice's stay in cache.
    public var outerSlice = 256

    /// The outer loss on a real batch and its exact gradients with respect to the images, the raw
    /// rates and (when learned) the soft labels.
    ///
    /// The mean cross-entropy L = Σ_s (n_s/N)·L_s over slices s of the batch is differentiated to
    /// θ_T slice by slice (each slice's graph is freed after its backward pass; slices run in
    /// parallel, one per thread), and ∂L/∂θ_T is then carried back through the unrolled inner
    /// steps once.
    public func metaGradient(initial: Tensor<S>, realImages: Tensor<S>, realLabels: [Int]) throws
        -> (loss: S, images: Tensor<S>, rawRates: Tensor<S>, targets: Tensor<S>?) {
        let m = try metaGradientAndAccuracy(initial: initial, realImages: realImages, realLabels: realLabels)
        (batchAccuracy, lastPhaseTimes) = (m.accuracy, m.phases)
        return (m.loss, m.images, m.rawRates, m.targets)
    }

    /// ``metaGradient(initial:realImages:realLabels:)``, the real-batch accuracy and the phases'
    /// times, changing nothing in the distiller (so several can run at once).
    private func metaGradientAndAccuracy(initial: Tensor<S>, realImages: Tensor<S>, realLabels: [Int]) throws
        -> (loss: S, images: Tensor<S>, rawRates: Tensor<S>, targets: Tensor<S>?, accuracy: Double, phases: DistillationPhaseTimes) {
        let x = images.requiringGrad(), r = rawRates.requiringGrad(), t = targets?.requiringGrad()
        let start = DispatchTime.now().uptimeNanoseconds
        let theta = try unroll(from: initial, images: x, rawRates: r, targets: t, keepGraph: true)
        var phases = DistillationPhaseTimes(innerSteps: DistillationPhaseTimes.seconds(since: start), realBatch: 0, metaGradient: 0)
        defer { Self.freeInBackground(theta) }
        let n = realImages.shape[0]
        guard n == realLabels.count, n > 0 else {
            throw TensorError.shape("distillation: \(n) real images and \(realLabels.count) labels; they must agree and be at least one")
        }
        let size = max(1, outerSlice)
        let slices = stride(from: 0, to: n, by: size).map { $0..<min(n, $0 + size) }
        // the slices run in parallel, each on one thread; their sums are taken in slice order, so
        // the result does not depend on the thread count
        let parts = try TensorThreads.map(slices.count) { k -> (gradient: Tensor<S>, loss: Double, correct: Int) in
            let rows = slices[k]
            let weight = S(Double(rows.count) / Double(n))
            let logits = try model.forward(realImages.sliced(axis: 0, rows), parameters: theta)
            let labels = Array(realLabels[rows])
            let part = try logits.crossEntropy(labels: labels) * weight
            let g = try Autograd.gradients(of: part, wrt: [theta], stopAtInputs: true)[0]
            return (g, Double(part.item), zip(Trainer.predictions(logits), labels).filter { $0 == $1 }.count)
        }
        var loss = 0.0, correct = 0
        var outerGradient: Tensor<S>?
        for part in parts {
            outerGradient = try outerGradient.map { try $0 + part.gradient } ?? part.gradient
            loss += part.loss
            correct += part.correct
        }
        phases.realBatch = DistillationPhaseTimes.seconds(since: start) - phases.innerSteps
        // the last pass through the unrolled steps: each node frees what its rule saved as it runs
        let grads = try Autograd.gradients(of: theta, wrt: [x, r] + (t.map { [$0] } ?? []), seed: outerGradient!, releaseGraph: true)
        phases.metaGradient = DistillationPhaseTimes.seconds(since: start) - phases.innerSteps - phases.realBatch
        return (S(loss), grads[0], grads[1], t == nil ? nil : grads[2], Double(correct) / Double(n), phases)
    }

    /// Lets another thread free `graph` (θ_T with the unrolled steps' graph: thousands of nodes,
    /// whose rules the meta-gradient has already released) while this one goes on with the next
    /// outer iteration, whose inner steps leave the second core idle. With one tensor thread it is
    /// freed here, as usual.
    private static func freeInBackground(_ graph: Tensor<S>) {
        guard TensorThreads.count > 1 else { return }
        DispatchQueue.global(qos: .utility).async { withExtendedLifetime(graph) {} }
    }

    /// Accuracy on the last real batch of the network trained on the synthetic data (the last
    /// initialisation's, for random init): a live view of how well the distilled images teach.
    public private(set) var batchAccuracy = 0.0

    /// The phases' times of the last meta-gradient (the last initialisation's, for random init);
    /// nil before the first.
    public private(set) var lastPhaseTimes: DistillationPhaseTimes?

    /// One outer iteration: the meta-gradient averaged over the initial weights in `initials` (one
    /// for a fixed init, several for random init), then one Adam step. Returns the mean outer loss.
    /// On a non-finite loss or gradient it throws and leaves the images, rates and optimiser state
    /// as they were. Several initialisations run in parallel, one per thread, and are averaged in
    /// order, so the result does not depend on the thread count.
    @discardableResult
    public func step(initials: [Tensor<S>], realImages: Tensor<S>, realLabels: [Int]) throws -> S {
        guard !initials.isEmpty else { throw TensorError.argument("distillation step: needs at least one initial network") }
        let perNetwork = try TensorThreads.map(initials.count) {
            try metaGradientAndAccuracy(initial: initials[$0], realImages: realImages, realLabels: realLabels)
        }
        var loss = 0.0
        var gx: Tensor<S>?, gr: Tensor<S>?, gt: Tensor<S>?
        for (l, x, r, t, _, _) in perNetwork {
            loss += Double(l)
            gx = try gx.map { try $0 + x } ?? x
            gr = try gr.map { try $0 + r } ?? r
            if let t { gt = try gt.map { try $0 + t } ?? t }
        }
        let scale = S(1 / Double(initials.count))
        let meanX = gx!.scaled(by: scale), meanR = gr!.scaled(by: scale), meanT = gt?.scaled(by: scale)
        loss /= Double(initials.count)
        guard loss.isFinite, meanX.isFinite, meanR.isFinite, meanT?.isFinite ?? true else {
            throw TensorError.argument("distillation diverged: the outer loss is \(loss) or a meta-gradient is not finite; images, rates, labels and optimiser state were kept")
        }
        var newImages = images, newRates = rawRates, newTargets = targets
        try imageOptimizer.step(&newImages, gradient: meanX)
        try rateOptimizer.step(&newRates, gradient: meanR)
        if let meanT { try targetOptimizer.step(&newTargets!, gradient: meanT) }
        images = newImages
        rawRates = newRates
        targets = newTargets
        (batchAccuracy, lastPhaseTimes) = (perNetwork.last!.accuracy, perNetwork.last!.phases)
        return S(loss)
    }

    /// One outer iteration from the single initial weights `initial`.
    @discardableResult
    public func step(initial: Tensor<S>, realImages: Tensor<S>, realLabels: [Int]) throws -> S {
        try step(initials: [initial], realImages: realImages, realLabels: realLabels)
    }

    /// `initial` trained on the given images (default: the distilled ones) for the T inner steps,
    /// with the learned step sizes or, when `stepSize` is given, that constant step size (no graph
    /// kept): what a user of the distilled data does. Used for evaluation and the baselines. The
    /// learned soft labels go with the distilled images only; other images train on one-hot labels.
    public func train(from initial: Tensor<S>, images other: Tensor<S>? = nil, stepSize: Double? = nil) throws -> Tensor<S> {
        let x = other ?? images
        guard x.shape == images.shape else {
            throw TensorError.shape("training images must have the distilled images' shape \(images.shape); got \(x.shape)")
        }
        var r = rawRates.detached
        if let eta = stepSize {
            guard eta > 0, eta.isFinite else { throw TensorError.argument("step size \(eta) must be positive and finite") }
            let raw = S(Foundation.log(Foundation.expm1(eta)))
            r = Tensor<S>(vector: [S](repeating: raw, count: rawRates.count))
        }
        let t = other == nil ? targets?.detached : nil
        return try unroll(from: initial.detached, images: x.detached, rawRates: r, targets: t, keepGraph: false).detached
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
    /// Learn a soft label row per image as well (off in the reference code).
    public var learnLabels = false
    /// Learn one step size per inner step and layer instead of one per inner step (off in the
    /// reference code).
    public var ratesPerLayer = false

    /// The defaults.
    public init() {}

    private enum CodingKeys: String, CodingKey {
        case imagesPerClass, steps, epochs, distillLearningRate, learningRate, beta1, beta2, learnLabels, ratesPerLayer
    }

    /// Decodes a configuration; checkpoints written before soft labels and per-layer rates existed
    /// read as fixed labels and one rate per step.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        imagesPerClass = try c.decode(Int.self, forKey: .imagesPerClass)
        steps = try c.decode(Int.self, forKey: .steps)
        epochs = try c.decode(Int.self, forKey: .epochs)
        distillLearningRate = try c.decode(Double.self, forKey: .distillLearningRate)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        beta1 = try c.decode(Double.self, forKey: .beta1)
        beta2 = try c.decode(Double.self, forKey: .beta2)
        learnLabels = try c.decodeIfPresent(Bool.self, forKey: .learnLabels) ?? false
        ratesPerLayer = try c.decodeIfPresent(Bool.self, forKey: .ratesPerLayer) ?? false
    }

    /// Inner gradient steps per outer iteration, T = steps × epochs.
    public var innerSteps: Int { steps * epochs }
}
