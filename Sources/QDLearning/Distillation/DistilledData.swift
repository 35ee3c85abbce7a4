import Foundation
import QDTensor

/// A distilled dataset as a file: the synthetic images, their labels, the learned step sizes and
/// how they are replayed. Training on it is what the distillation optimised:
///
///     θ_{k+1} = θ_k − η_k · ∇_θ CE(f(x̃_{k mod steps}; θ_k), ỹ_{k mod steps}),   k = 0..<T
///
/// with soft-label cross-entropy against the learned targets when the distillation learned them,
/// and η_k per layer when it learned per-layer step sizes.
public struct DistilledData: Codable, Equatable, Sendable {
    /// The file format tag.
    public var format = "qd-distilled-1"
    /// The model it was distilled for (a description).
    public var model: String
    /// The shape of one image.
    public var imageShape: [Int]
    /// All images, row-major, [N] + imageShape, in normalised space.
    public var images: [Float]
    /// Their labels.
    public var labels: [Int]
    /// Learned soft labels, [N, classes] row-major, when the distillation learned them; training
    /// then uses them instead of `labels`.
    public var targets: [Float]?
    /// The step sizes η_k, one per inner step (T of them), or with `rateLayers` one per inner step
    /// and layer, step-major (T × rateLayers.count).
    public var stepSizes: [Float]
    /// The layers (``ParameterLayout/layers``) of per-layer step sizes; nil for one per step.
    public var rateLayers: [String]?
    /// Distinct steps; step k uses images of step k mod steps.
    public var steps: Int
    /// The run's seed.
    public var seed: UInt64

    /// Distilled data from its parts.
    public init(model: String, imageShape: [Int], images: [Float], labels: [Int], targets: [Float]? = nil,
                stepSizes: [Float], rateLayers: [String]? = nil, steps: Int, seed: UInt64) {
        self.model = model
        self.imageShape = imageShape
        self.images = images
        self.labels = labels
        self.targets = targets
        self.stepSizes = stepSizes
        self.rateLayers = rateLayers
        self.steps = steps
        self.seed = seed
    }

    /// Images per step.
    public var perStep: Int { labels.count / max(steps, 1) }

    /// Step sizes per inner step: 1, or the number of layers.
    public var rateGroups: Int { max(rateLayers?.count ?? 1, 1) }

    /// The number of inner steps T.
    public var innerSteps: Int { stepSizes.count / rateGroups }

    /// `initial` trained on the images for the T inner steps with the stored step sizes.
    public func train<M: Model>(_ model: M, from initial: Tensor<Float>) throws -> Tensor<Float> {
        guard imageShape == model.inputShape else {
            throw TensorError.shape("the distilled images are \(imageShape); the model takes \(model.inputShape)")
        }
        if let targets, targets.count != labels.count * model.classes {
            throw TensorError.shape("the distilled soft labels hold \(targets.count) values; \(labels.count) images of \(model.classes) classes need \(labels.count * model.classes)")
        }
        if let rateLayers, rateLayers != model.layout.layers {
            throw TensorError.shape("the distilled step sizes are per layer of \(rateLayers); the model's layers are \(model.layout.layers)")
        }
        let x = try Tensor<Float>(shape: [labels.count] + imageShape, values: images)
        let t = try targets.map { try Tensor<Float>(shape: [labels.count, model.classes], values: $0) }
        let groups = rateGroups == 1 ? [] : model.layout.layerOfEachParameter
        var theta = initial.detached
        for k in 0..<innerSteps {
            let eta = rateGroups == 1 ? Tensor(stepSizes[k]) : Tensor(vector: groups.map { stepSizes[k * rateGroups + $0] })
            let rows = (k % steps * perStep)..<((k % steps + 1) * perStep)
            let leaf = theta.requiringGrad()
            let logits = try model.forward(x.sliced(axis: 0, rows), parameters: leaf)
            let loss = try t.map { try logits.crossEntropy(targets: $0.sliced(axis: 0, rows)) } ?? logits.crossEntropy(labels: Array(labels[rows]))
            let g = try model.maskingFrozen(Autograd.gradients(of: loss, wrt: [leaf])[0])
            theta = try theta.descended(along: g, stepSize: eta).detached
        }
        return theta
    }

    /// Writes the data as JSON with sorted keys (atomically).
    public func save(to url: URL) throws {
        try SavedJSON.write(self, to: url)
    }

    /// Reads data written by ``save(to:)``, checking its consistency.
    public static func load(from url: URL) throws -> DistilledData {
        let d = try SavedJSON.read(DistilledData.self, from: url, what: "a qd distilled dataset")
        let values = Tensor<Float>.elementCount([d.labels.count] + d.imageShape)
        guard d.format == "qd-distilled-1", d.steps >= 1, d.labels.count % d.steps == 0, !d.imageShape.contains(0), d.images.count == values,
              !d.stepSizes.isEmpty, d.stepSizes.count % d.rateGroups == 0, d.images.allSatisfy(\.isFinite), d.stepSizes.allSatisfy(\.isFinite),
              d.targets.map({ t in !d.labels.isEmpty && t.count % d.labels.count == 0 && t.allSatisfy(\.isFinite) }) ?? true else {
            throw DataError(file: url.path, "inconsistent distilled dataset: \(d.images.count) values for \(d.labels.count) images of \(d.imageShape), \(d.steps) steps, \(d.stepSizes.count) step sizes\(d.targets.map { ", \($0.count) soft-label values" } ?? "")")
        }
        if let bad = d.labels.firstIndex(where: { $0 < 0 }) {
            throw DataError(file: url.path, "label \(bad) is \(d.labels[bad]); labels are class numbers, 0 or more")
        }
        return d
    }
}

extension Distiller {
    /// The current images, labels and learned step sizes as a ``DistilledData``.
    public func distilledData(model name: String, seed: UInt64) -> DistilledData {
        DistilledData(model: name, imageShape: model.inputShape, images: images.values.map { Float($0) }, labels: labels,
                      targets: targets?.values.map { Float($0) }, stepSizes: learningRates.map { Float($0) },
                      rateLayers: rateGroups == 1 ? nil : model.layout.layers, steps: configuration.steps, seed: seed)
    }
}
