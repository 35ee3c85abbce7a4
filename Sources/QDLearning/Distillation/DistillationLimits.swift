import QDTensor

/// The ranges a distillation run's counts may take: what `distill` in the language accepts, and
/// what a checkpoint's settings must hold to be resumed.
public enum DistillationLimits {
    /// Synthetic images of each class per step.
    public static let imagesPerClass = 1...10_000
    /// Distinct steps.
    public static let steps = 1...10_000
    /// Passes over the steps.
    public static let epochs = 1...10_000
    /// The schedule's length in epochs.
    public static let totalEpochs = 1...1_000_000
    /// Epochs between decays of the outer rate.
    public static let decayEvery = 1...1_000_000
    /// Real images per outer iteration.
    public static let realBatch = 1...1_000_000
    /// Networks per iteration with random init.
    public static let networksPerIteration = 1...1_000
    /// The most synthetic image values a run may hold (2²⁸ Floats, 1 GiB).
    public static let syntheticValues = 1 << 28

    /// Throws, naming the setting and its range, unless every count of `settings` is in range and
    /// the synthetic images for `model` fit ``syntheticValues``.
    public static func check<M: Model>(_ settings: DistillationSettings, model: M) throws {
        let c = settings.distiller
        let counts: [(String, Int, ClosedRange<Int>)] = [
            ("images per class", c.imagesPerClass, imagesPerClass), ("steps", c.steps, steps), ("epochs", c.epochs, epochs),
            ("total epochs", settings.totalEpochs, totalEpochs), ("the decay period", settings.decayEvery, decayEvery),
            ("the real batch", settings.realBatch, realBatch), ("networks per iteration", settings.networksPerIteration, networksPerIteration),
        ]
        for (name, value, range) in counts where !range.contains(value) {
            throw TensorError.argument("distillation: \(name) \(value) is outside \(range)")
        }
        let shape = [c.imagesPerClass, model.classes, c.steps] + model.inputShape
        guard let values = Tensor<Float>.elementCount(shape), values <= syntheticValues else {
            let made = Tensor<Float>.elementCount(shape).map(String.init) ?? "more than 2⁶³"
            throw TensorError.argument("distillation: \(c.imagesPerClass) images per class × \(model.classes) classes × \(c.steps) steps of \(model.inputShape) make \(made) synthetic values; at most \(syntheticValues) fit")
        }
    }
}
