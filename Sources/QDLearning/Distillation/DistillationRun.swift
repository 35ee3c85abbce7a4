import Foundation
import QDTensor

/// A whole distillation run as in SsnL/dataset-distillation: outer iterations over shuffled real
/// batches (one epoch = ⌈N / realBatch⌉ iterations), the outer rate decayed by `decayFactor` every
/// `decayEvery` epochs, a fixed or random network initialisation, evaluation against baselines,
/// and checkpoints that resume bit-identically.
///
/// Everything random derives from `settings.seed` and the iteration number, never from hidden
/// generator state, so a run resumed from a checkpoint takes exactly the same steps.
public final class DistillationRun<M: Model> {
    /// The network being distilled for.
    public let model: M
    /// The settings.
    public let settings: DistillationSettings
    /// The learned images and rates.
    public let distiller: Distiller<M, Float>
    /// The real training data.
    public let data: Dataset
    /// Outer iterations done.
    public private(set) var iteration = 0
    /// The outer loss of every iteration done.
    public private(set) var losses: [Double] = []
    /// The real-batch accuracy of every iteration done (see ``Distiller/batchAccuracy``).
    public private(set) var batchAccuracies: [Double] = []
    /// The fixed initial weights (used for every iteration unless `randomInit`).
    public let fixedInitial: Tensor<Float>
    /// The collapse guard (it acts only with `settings.recoverFromCollapse`).
    public private(set) var collapseGuard = CollapseGuard<Distiller<M, Float>.State>()
    /// The guard's factor on the scheduled outer rate: halved at every recovery.
    public var rateScale: Double { collapseGuard.rateScale }
    /// The iterations after which the collapse guard returned to an earlier state.
    public var recoveries: [Int] { collapseGuard.recoveries }
    /// The epoch with the lowest mean outer loss so far and its state (see ``BestEpoch``).
    public private(set) var bestEpoch = BestEpoch<Distiller<M, Float>.State>()

    /// A run over `data` for `model`. The fixed initialisation is `initial` when given (its
    /// weights are copied), else drawn from the seed.
    public init(model: M, data: Dataset, settings: DistillationSettings, initial: Tensor<Float>? = nil) throws {
        guard Array(data.imageShape) == model.inputShape else {
            throw TensorError.shape("distillation: the data's images are \(data.imageShape) but the model takes \(model.inputShape)")
        }
        guard data.count >= 1 else { throw TensorError.argument("distillation: the training data holds no images") }
        try DistillationLimits.check(settings, model: model)
        self.model = model
        self.data = data
        self.settings = settings
        distiller = try Distiller(model: model, configuration: settings.distiller, seed: Self.mix(settings.seed, 1))
        if let initial {
            guard initial.shape == [model.layout.count] else {
                throw TensorError.shape("distillation: the initial weights have shape \(initial.shape); the model has \(model.layout.count) parameters")
            }
            fixedInitial = initial.detached
        } else {
            fixedInitial = model.initialParameters(seed: Self.mix(settings.seed, 2))
        }
        if settings.initialImages == .real { try distiller.startImages(at: trainingImages(.randomReal)) }
    }

    /// Iterations per epoch over the real data.
    public var iterationsPerEpoch: Int { dividedRoundingUp(data.count, by: settings.realBatch) }
    /// Iterations of the full schedule.
    public var totalIterations: Int { iterationsPerEpoch * settings.totalEpochs }
    /// The epoch (0-based) the next iteration belongs to.
    public var epoch: Int { iteration / iterationsPerEpoch }
    /// The outer rate for the next iteration: the step-decay schedule times ``rateScale``.
    public var currentLearningRate: Double {
        settings.distiller.learningRate * pow(settings.decayFactor, Double(epoch / settings.decayEvery)) * rateScale
    }

    /// A seed derived from `seed` and `tags` (SplitMix-style mixing).
    static func mix(_ seed: UInt64, _ tags: UInt64...) -> UInt64 {
        var rng = SeededRandom(seed: seed)
        var z = rng.next()
        for t in tags { z ^= t &* 0x9E37_79B9_7F4A_7C15; var r = SeededRandom(seed: z); z = r.next() }
        return z
    }

    /// The initial weights of network `k` at iteration `i`.
    func initials(at i: Int) -> [Tensor<Float>] {
        guard settings.randomInit else { return [fixedInitial] }
        return (0..<settings.networksPerIteration).map { model.initialParameters(seed: Self.mix(settings.seed, 3, UInt64(i), UInt64($0))) }
    }

    /// The real batch of iteration `i`: epoch e shuffles the data with a seed from (seed, e).
    func realBatch(at i: Int) throws -> (Tensor<Float>, [Int]) {
        let e = i / iterationsPerEpoch, j = i % iterationsPerEpoch
        if epochOrder?.epoch != e {
            var rng = SeededRandom(seed: Self.mix(settings.seed, 4, UInt64(e)))
            epochOrder = (e, Array(0..<data.count).shuffled(using: &rng))
        }
        let order = epochOrder!.order
        let idx = Array(order[(j * settings.realBatch)..<min(data.count, (j + 1) * settings.realBatch)])
        return try data.batch(idx)
    }

    /// The shuffle of the current epoch, made once per epoch (it depends only on the seed and the epoch).
    private var epochOrder: (epoch: Int, order: [Int])?

    /// Runs up to `count` outer iterations, stopping early when `shouldStop` says so (checked
    /// between iterations, so the state is always consistent). `afterIteration` runs after each
    /// completed iteration (to write periodic checkpoints). Returns the iterations done. If a
    /// loss or gradient becomes non-finite it throws an error naming the iteration; the images,
    /// rates and optimiser state are those of the last good iteration.
    @discardableResult
    public func run(iterations count: Int, progress: ProgressReporter? = nil, shouldStop: () -> Bool = { false },
                    afterIteration: () throws -> Void = {}) throws -> Int {
        var done = 0
        while done < count {
            if shouldStop() { break }
            distiller.outerLearningRate = currentLearningRate
            let (x, y) = try realBatch(at: iteration)
            let loss: Float
            do {
                loss = try distiller.step(initials: initials(at: iteration), realImages: x, realLabels: y)
            } catch {
                throw TensorError.argument("distillation stopped at iteration \(iteration + 1) (epoch \(epoch + 1)): \(error); the state of iteration \(iteration) is kept")
            }
            losses.append(Double(loss))
            batchAccuracies.append(distiller.batchAccuracy)
            iteration += 1
            done += 1
            progress?.update(done, [("iter", Double(iteration)), ("epoch", Double(epoch)), ("loss", Double(loss)),
                                    ("acc", distiller.batchAccuracy), ("lr", currentLearningRate)])
            if iteration % iterationsPerEpoch == 0 {
                bestEpoch.endEpoch(epoch, meanLoss: losses.suffix(iterationsPerEpoch).reduce(0, +) / Double(iterationsPerEpoch),
                                   state: distiller.state())
                if let note = try guardAgainstCollapse() { progress?.note(note) }
            }
            try afterIteration()
        }
        return done
    }

    // MARK: the collapse guard

    /// The collapse guard's check at the end of an epoch (see ``CollapseGuard``); returns a
    /// message when it sent the distiller back to an earlier state.
    private func guardAgainstCollapse() throws -> String? {
        guard settings.recoverFromCollapse else { return nil }
        let tail = losses.suffix(max(1, iterationsPerEpoch / 4))
        let mean = tail.reduce(0, +) / Double(tail.count)
        let decision = collapseGuard.endEpoch(epoch, iteration: iteration, tailMean: mean, lastLoss: losses.last ?? .infinity,
                                              classes: model.classes, state: distiller.state())
        guard case .restore(let kept) = decision else { return nil }
        try distiller.restore(kept.state)
        return "epoch \(epoch): for \(CollapseGuard<Distiller<M, Float>.State>.patience) epochs the outer loss has ended no better than a uniform guess (last quarter's mean \(String(format: "%.3g", mean)) ≥ ln \(model.classes) = \(String(format: "%.3g", log(Double(model.classes))))): the inner training collapsed; back to the state of epoch \(kept.epoch), outer rate now scaled by \(rateScale)"
    }

    /// Moves the distiller (images, rates, soft labels, optimiser state) to the state at the end of
    /// the epoch with the lowest mean outer loss, and returns that epoch; nil (and nothing moves)
    /// before the first completed epoch. The iteration count, the losses and the schedule are
    /// left as they are, so a later ``run(iterations:progress:shouldStop:afterIteration:)`` goes
    /// on from the best state at the current point of the schedule.
    @discardableResult
    public func restoreBestEpoch() throws -> BestEpoch<Distiller<M, Float>.State>.Kept? {
        guard let best = bestEpoch.best else { return nil }
        try distiller.restore(best.state)
        return best
    }

    // MARK: evaluation

    /// Test accuracies of fresh networks trained for the same T steps on `set`: one network for a
    /// fixed-init run (its fixed initialisation), `networks` freshly initialised ones for random init
    /// (seeds disjoint from the training ones). The distilled images use the learned step sizes.
    /// The baselines (random real images, class means) use the constant step size from
    /// `settings.baselineStepSizes` that does best on up to 1,000 held-out training images, as the learned
    /// sizes are tuned to the synthetic images and would be unfair to them.
    public func evaluate(_ set: DistillationTrainingSet = .distilled, on test: Dataset, networks: Int = 10) throws -> DistillationEvaluation {
        let images = try trainingImages(set)
        let inits = settings.randomInit
            ? (0..<max(1, networks)).map { model.initialParameters(seed: Self.mix(settings.seed, 5, UInt64($0))) as Tensor<Float> }
            : [fixedInitial]
        var stepSize: Double?
        if set != .distilled {
            var rng = SeededRandom(seed: Self.mix(settings.seed, 7))
            let held = try data.subset(Array(Array(0..<data.count).shuffled(using: &rng).prefix(1000)), name: "validation")
            var best = (-1.0, settings.baselineStepSizes[0])
            for eta in settings.baselineStepSizes {
                // A step size that makes training diverge (non-finite weights or activations) scores 0.
                let acc = inits.prefix(3).reduce(0.0) { sum, initial in
                    guard let trained = try? distiller.train(from: initial, images: images, stepSize: eta),
                          trained.isFinite,
                          let accuracy = try? Trainer.evaluate(model, parameters: trained, on: held).accuracy else { return sum }
                    return sum + accuracy
                }
                if acc > best.0 { best = (acc, eta) }
            }
            guard best.0 > 0 else {
                throw TensorError.argument("every baseline step size \(settings.baselineStepSizes) made training on the \(set.rawValue) images diverge or score 0")
            }
            stepSize = best.1
        }
        let accuracies = try inits.map { initial in
            // nil: the distilled images themselves, with their learned soft labels if any.
            let trained = try distiller.train(from: initial, images: set == .distilled ? nil : images, stepSize: stepSize)
            return try Trainer.evaluate(model, parameters: trained, on: test).accuracy
        }
        return DistillationEvaluation(accuracies: accuracies, stepSize: stepSize)
    }

    /// The images of a training set, shaped like the distilled ones (labels in the same order).
    public func trainingImages(_ set: DistillationTrainingSet) throws -> Tensor<Float> {
        switch set {
        case .distilled: return distiller.images
        case .randomReal:
            var rng = SeededRandom(seed: Self.mix(settings.seed, 6))
            var byClass = [[Int]](repeating: [], count: model.classes)
            for (i, y) in data.labels.enumerated() where y < model.classes { byClass[y].append(i) }
            for k in byClass.indices { byClass[k].shuffle(using: &rng) }
            var next = [Int](repeating: 0, count: model.classes)
            var picks: [Int] = []
            for y in distiller.labels {
                guard !byClass[y].isEmpty else { throw TensorError.argument("random-real baseline: the training data has no image of class \(y)") }
                picks.append(byClass[y][next[y] % byClass[y].count])
                next[y] += 1
            }
            return try data.batch(picks).images
        case .classMeans:
            let per = data.imageShape.reduce(1, *)
            var sums = [[Double]](repeating: [Double](repeating: 0, count: per), count: model.classes)
            var counts = [Int](repeating: 0, count: model.classes)
            let v = data.images.values
            for (i, y) in data.labels.enumerated() where y < model.classes {
                counts[y] += 1
                for j in 0..<per { sums[y][j] += Double(v[i * per + j]) }
            }
            let values = try distiller.labels.flatMap { y -> [Float] in
                guard counts[y] > 0 else { throw TensorError.argument("class-mean baseline: the training data has no image of class \(y)") }
                return sums[y].map { Float($0 / Double(counts[y])) }
            }
            return try Tensor(shape: distiller.images.shape, values: values)
        }
    }

    // MARK: checkpoints

    /// A checkpoint: the settings, the iteration, the losses and the distiller's full state.
    public struct Checkpoint: Codable, Equatable {
        /// The file format tag: version 2 packs the long arrays of numbers (see
        /// `PackedNumbers.swift`); version 1 files, with plain arrays, are still read.
        public var format = "qd-distillation-checkpoint-2"
        /// The model it belongs to (a description).
        public var model: String
        /// The run's settings.
        public var settings: DistillationSettings
        /// Outer iterations done.
        public var iteration: Int
        /// The outer loss of every iteration done.
        public var losses: [Double]
        /// The real-batch accuracy of every iteration done.
        public var batchAccuracies: [Double]
        /// The fixed initial weights.
        public var initial: [Float]
        /// The images, rates and optimiser states.
        public var state: Distiller<M, Float>.State
        /// The collapse guard's state (nil in checkpoints written before it existed).
        public var collapseGuard: CollapseGuard<Distiller<M, Float>.State>?
        /// The best epoch so far (nil in checkpoints written before it was kept: a run restored
        /// from one keeps the best of the epochs after the restore).
        public var bestEpoch: BestEpoch<Distiller<M, Float>.State>?
    }

    /// Writes a checkpoint to `url` (atomically).
    public func save(to url: URL, modelName: String) throws {
        let c = Checkpoint(model: modelName, settings: settings, iteration: iteration, losses: losses, batchAccuracies: batchAccuracies,
                           initial: fixedInitial.values, state: distiller.state(), collapseGuard: collapseGuard, bestEpoch: bestEpoch)
        try SavedJSON.write(c, to: url)
    }

    /// Reads a checkpoint written by ``save(to:modelName:)``.
    public static func loadCheckpoint(from url: URL) throws -> Checkpoint {
        let c = try SavedJSON.read(Checkpoint.self, from: url, what: "a qd distillation checkpoint")
        guard ["qd-distillation-checkpoint-1", "qd-distillation-checkpoint-2"].contains(c.format) else {
            throw DataError(file: url.path, "unknown checkpoint format \(c.format) (this qd reads qd-distillation-checkpoint-1 and -2)")
        }
        return c
    }

    /// A run restored from a checkpoint, for the same model and data: it continues exactly where
    /// the checkpoint left off, to the end of its schedule or, given `totalEpochs`, of a schedule
    /// of that length (see ``restore(_:)``).
    public convenience init(model: M, data: Dataset, checkpoint c: Checkpoint, totalEpochs: Int? = nil) throws {
        var settings = c.settings
        if let totalEpochs { settings.totalEpochs = totalEpochs }
        try self.init(model: model, data: data, settings: settings, initial: try Tensor(shape: [c.initial.count], values: c.initial))
        try restore(c)
    }

    /// Moves this run to the state of checkpoint `c`, which must come from the same run: the
    /// same settings and fixed initialisation. Throws, naming what differs, otherwise.
    ///
    /// Only the schedule's length may differ, which extends (or shortens) a run: nothing but the
    /// end of the loop depends on `totalEpochs` (the rate decays every `decayEvery` epochs
    /// whatever the length), so a 30-epoch run's checkpoint continued for 45 epochs gives the
    /// bits of a 45-epoch run from the start. The checkpoint must not be past this run's end.
    public func restore(_ c: Checkpoint) throws {
        var sameLength = c.settings
        sameLength.totalEpochs = settings.totalEpochs
        guard sameLength == settings else {
            throw TensorError.argument("the checkpoint was written by a run with different settings (\(Self.differingFields(sameLength, settings)))")
        }
        guard c.iteration >= 0 else { throw TensorError.argument("the checkpoint is at iteration \(c.iteration); iterations count from 0") }
        guard c.iteration <= totalIterations else {
            let epochsNeeded = dividedRoundingUp(c.iteration, by: iterationsPerEpoch)
            throw TensorError.argument("the checkpoint is at iteration \(c.iteration), past the end of this run's \(settings.totalEpochs) epochs (\(totalIterations) iterations); it needs a schedule of at least \(epochsNeeded) epochs")
        }
        guard c.initial == fixedInitial.values else {
            throw TensorError.argument("the checkpoint was written by a run with a different fixed initialisation")
        }
        try distiller.restore(c.state)
        iteration = c.iteration
        losses = c.losses
        batchAccuracies = c.batchAccuracies
        collapseGuard = c.collapseGuard ?? CollapseGuard()
        bestEpoch = c.bestEpoch ?? BestEpoch()
    }

    /// The names of the settings (and distiller settings) that differ between `a` and `b`.
    static func differingFields(_ a: DistillationSettings, _ b: DistillationSettings) -> String {
        func fields<T: Encodable>(_ value: T) -> [String: String] {
            guard let data = try? JSONEncoder().encode(value),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
            return object.mapValues { "\($0)" }
        }
        let (fa, fb) = (fields(a).merging(fields(a.distiller)) { x, _ in x }, fields(b).merging(fields(b.distiller)) { x, _ in x })
        return Set(fa.keys).union(fb.keys).filter { $0 != "distiller" && fa[$0] != fb[$0] }.sorted().joined(separator: ", ")
    }
}

/// Where the synthetic images start.
public enum InitialImages: String, Codable, Sendable, CaseIterable {
    /// N(0, 1) noise in normalised space, as in Wang et al.'s code.
    case noise
    /// Real training images, one random pick per image slot of its class (the random-real
    /// baseline's images).
    case real
}

/// How the run is set up. Defaults are the paper's MNIST settings.
public struct DistillationSettings: Codable, Equatable, Sendable {
    /// Images per class and step, steps, epochs, the initial inner rate and the outer Adam.
    public var distiller = DistillerConfiguration()
    /// The outer rate is multiplied by `decayFactor` every `decayEvery` epochs.
    public var decayEvery = 40
    /// The factor applied every `decayEvery` epochs.
    public var decayFactor = 0.5
    /// Length of the full schedule, in epochs over the real training data.
    public var totalEpochs = 400
    /// Real images per outer iteration.
    public var realBatch = 1024
    /// Random init: a fresh network initialisation every iteration (`networksPerIteration` of
    /// them); otherwise one fixed initialisation, reused.
    public var randomInit = false
    /// Networks sampled per iteration with random init.
    public var networksPerIteration = 4
    /// The run's seed.
    public var seed: UInt64 = 0
    /// Constant step sizes a baseline may use; the best on held-out training images is taken.
    public var baselineStepSizes: [Double] = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10]
    /// Where the synthetic images start (the reference code: noise).
    public var initialImages = InitialImages.noise
    /// The collapse guard (not in the reference code; it changes nothing in a run that does not
    /// collapse): see ``CollapseGuard``.
    public var recoverFromCollapse = true

    /// The defaults.
    public init() {}

    private enum CodingKeys: String, CodingKey {
        case distiller, decayEvery, decayFactor, totalEpochs, realBatch, randomInit, networksPerIteration, seed, baselineStepSizes, initialImages
        case recoverFromCollapse
    }

    /// Decodes settings; checkpoints written before `initialImages` and `recoverFromCollapse`
    /// existed read as noise and true.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        distiller = try c.decode(DistillerConfiguration.self, forKey: .distiller)
        decayEvery = try c.decode(Int.self, forKey: .decayEvery)
        decayFactor = try c.decode(Double.self, forKey: .decayFactor)
        totalEpochs = try c.decode(Int.self, forKey: .totalEpochs)
        realBatch = try c.decode(Int.self, forKey: .realBatch)
        randomInit = try c.decode(Bool.self, forKey: .randomInit)
        networksPerIteration = try c.decode(Int.self, forKey: .networksPerIteration)
        seed = try c.decode(UInt64.self, forKey: .seed)
        baselineStepSizes = try c.decode([Double].self, forKey: .baselineStepSizes)
        initialImages = try c.decodeIfPresent(InitialImages.self, forKey: .initialImages) ?? .noise
        recoverFromCollapse = try c.decodeIfPresent(Bool.self, forKey: .recoverFromCollapse) ?? true
    }
}

/// What to train fresh networks on.
public enum DistillationTrainingSet: String, Sendable, CaseIterable {
    /// The distilled images.
    case distilled
    /// Random real training images, the same number per class and step.
    case randomReal = "random"
    /// Per-class mean images of the real training data.
    case classMeans = "means"
}

/// The result of training fresh networks on a distilled or baseline training set.
public struct DistillationEvaluation: Sendable, Equatable {
    /// Test accuracy of each network.
    public var accuracies: [Double]
    /// The constant step size used (baselines), or nil for the learned step sizes.
    public var stepSize: Double?

    /// Mean accuracy.
    public var mean: Double { accuracies.reduce(0, +) / Double(max(accuracies.count, 1)) }
    /// Population standard deviation of the accuracies.
    public var standardDeviation: Double {
        (accuracies.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(accuracies.count, 1))).squareRoot()
    }
}
