import QDTensor

/// Accuracy, mean loss and the confusion matrix of a model on a dataset.
public struct Evaluation: Sendable, Equatable {
    /// Fraction of images classified correctly.
    public let accuracy: Double
    /// Mean cross-entropy.
    public let loss: Double
    /// confusion[true][predicted] counts.
    public let confusion: [[Int]]
}

/// Minibatch training and evaluation of a ``Model`` from its flat parameters.
public enum Trainer {
    /// Trains `parameters` for `epochs` epochs of seeded-shuffled minibatches with `optimizer`,
    /// its rate following `schedule`. Reports progress; stops with an error naming the step if a
    /// loss or gradient becomes NaN or infinite (the parameters passed in are left as they were).
    public static func train<M: Model, O: Optimizer>(_ model: M, parameters: Tensor<O.Scalar>, on data: Dataset,
                                                    epochs: Int, batchSize: Int, optimizer: O, schedule: StepDecay? = nil,
                                                    seed: UInt64, progress: ProgressReporter? = nil) throws -> Tensor<O.Scalar> {
        guard batchSize >= 1, epochs >= 0 else { throw TensorError.argument("train: batch size \(batchSize) must be ≥ 1 and epochs \(epochs) ≥ 0") }
        var theta = parameters.detached
        var opt = optimizer
        let base = opt.learningRate
        var rng = SeededRandom(seed: seed)
        let steps = dividedRoundingUp(data.count, by: batchSize)
        for epoch in 0..<epochs {
            if let s = schedule { opt.learningRate = s.rate(base: base, epoch: epoch) }
            let order = Array(0..<data.count).shuffled(using: &rng)
            var lossSum = 0.0, correct = 0
            for k in 0..<steps {
                let idx = Array(order[(k * batchSize)..<min(data.count, (k + 1) * batchSize)])
                let (x, y) = try data.batch(idx)
                let leaf = theta.requiringGrad()
                let logits = try model.forward(x.converted(to: O.Scalar.self), parameters: leaf)
                let loss = try logits.crossEntropy(labels: y)
                guard loss.item.isFinite else {
                    throw TensorError.argument("training diverged: the loss is \(loss.item) at epoch \(epoch + 1), step \(k + 1)")
                }
                let g = try model.maskingFrozen(Autograd.gradients(of: loss, wrt: [leaf])[0])
                try opt.step(&theta, gradient: g)
                lossSum += Double(loss.item) * Double(idx.count)
                correct += zip(predictions(logits), y).filter { $0 == $1 }.count
                progress?.update(epoch * steps + k + 1, [("epoch", Double(epoch + 1)), ("loss", lossSum / Double(k * batchSize + idx.count)),
                                                         ("acc", Double(correct) / Double(k * batchSize + idx.count)), ("lr", opt.learningRate)])
            }
        }
        return theta
    }

    /// Accuracy, loss and confusion matrix of `model` with `parameters` on `data`, without gradients,
    /// in batches of `batchSize` (a value below 1 counts as 1).
    public static func evaluate<M: Model, S: TensorScalar>(_ model: M, parameters: Tensor<S>, on data: Dataset,
                                                         batchSize: Int = 500) throws -> Evaluation {
        try Autograd.withoutGradients {
            var confusion = [[Int]](repeating: [Int](repeating: 0, count: model.classes), count: model.classes)
            var lossSum = 0.0
            let size = max(1, batchSize)
            for start in stride(from: 0, to: data.count, by: size) {
                let idx = Array(start..<min(data.count, start + min(size, data.count)))  // size may be Int.max
                let (x, y) = try data.batch(idx)
                let logits = try model.forward(x.converted(to: S.self), parameters: parameters.detached)
                lossSum += Double(try logits.crossEntropy(labels: y).item) * Double(idx.count)
                for (p, t) in zip(predictions(logits), y) { confusion[t][p] += 1 }
            }
            let correct = (0..<model.classes).reduce(0) { $0 + confusion[$1][$1] }
            return Evaluation(accuracy: Double(correct) / Double(max(data.count, 1)), loss: lossSum / Double(max(data.count, 1)),
                              confusion: confusion)
        }
    }

    /// The arg-max class of each row of logits [B, K].
    static func predictions<S>(_ logits: Tensor<S>) -> [Int] {
        let k = logits.shape[1]
        return (0..<logits.shape[0]).map { b in
            (0..<k).max { logits.values[b * k + $0] < logits.values[b * k + $1] }!
        }
    }
}
