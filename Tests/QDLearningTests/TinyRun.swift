import QDLearning
import QDTensor

/// A small distillation run for tests of whole runs: ``TinyNet`` on 30 random 2×2 images, each
/// labelled by its largest pixel (3 classes), real batches of 10 (3 iterations per epoch), the
/// inner rate starting at 0.5.
enum TinyRun {
    /// The 30 labelled images.
    static func data() throws -> Dataset {
        var rng = SeededRandom(seed: 11)
        let images = Tensor<Float>.normal([30, 1, 2, 2], using: &rng)
        let labels = (0..<30).map { b in (0..<3).max { images.values[4 * b + $0] < images.values[4 * b + $1] }! }
        return try Dataset(name: "rule", images: images, labels: labels, classes: 3)
    }

    /// A fresh run on ``data()``, with or without the collapse guard.
    static func run(on data: Dataset, recoverFromCollapse: Bool) throws -> DistillationRun<TinyNet> {
        var settings = DistillationSettings()
        settings.realBatch = 10
        settings.distiller.distillLearningRate = 0.5
        settings.recoverFromCollapse = recoverFromCollapse
        return try DistillationRun(model: TinyNet(), data: data, settings: settings)
    }

    /// Sets every raw step size of `run` to 1000, which sends its inner training far off.
    static func wreckStepSizes(of run: DistillationRun<TinyNet>) throws {
        var broken = run.distiller.state()
        broken.rawRates = broken.rawRates.map { _ in 1000 }
        try run.distiller.restore(broken)
    }
}
