import Foundation
import QDLearning
import QDTensor

/// Datasets, models, training and distillation.
enum LearningBuiltins {
    static func register(_ r: inout Registry) {
        for kind in [DatasetKind.mnist, .cifar10, .fashionMNIST] {
            let name = kind == .fashionMNIST ? "fashion_mnist" : kind.rawValue
            r.add("learning", Builtin(name, "\(name)(split: \"train\", per_class: nil, limit: nil, folder: nil)",
                                      doc: "The \(kind.rawValue) \(kind == .fashionMNIST ? "" : "train or test ")split, normalised as in the reference code, from `folder`, else --data / QD_DATA, else the embedded subset\(kind == .fashionMNIST ? " (none is embedded)" : ""). `per_class` takes a seeded class-balanced subset, `limit` the first images.",
                                      example: "let test = \(name)(split: \"test\")") { args in
                let split = try args.choice("split", ["train", "test"], default: "train")
                var folder = args.interpreter.options.dataFolder
                if let f = args.option("folder"), !f.isNone {
                    guard case .string(let path) = f else { throw args.typeError("folder", expected: "a path string", got: f) }
                    folder = args.interpreter.resolve(path)
                }
                var d = try Datasets.load(kind, split: Split(rawValue: split)!, folder: folder)
                if let n = args.option("per_class"), !n.isNone {
                    guard let k = n.asInt, k >= 1 else { throw args.typeError("per_class", expected: "a positive integer", got: n) }
                    d = try d.classBalanced(perClass: k, seed: try args.seed())
                }
                if let n = args.option("limit"), !n.isNone {
                    guard let k = n.asInt, k >= 1 else { throw args.typeError("limit", expected: "a positive integer", got: n) }
                    d = try d.prefix(min(k, d.count))
                }
                return .object(DatasetObject(d, kind: kind))
            })
        }
        r.add("learning", Builtin("lenet", "lenet(input: \"mnist\", seed: nil)", doc: "LeNet (Wang et al.): conv 6@5 → pool → conv 16@5 → pool → FC 120 → 84 → 10; Xavier init from the seed.",
                                  example: "let m = lenet()") { args in
            let spec = ModelSpec(kind: .lenet, input: try inputName(&args))
            return try model(spec, seed: try args.seed())
        })
        r.add("learning", Builtin("qlenet", "qlenet(input: \"mnist\", qubits: 6, layers: 3, hermitian: \"trainable\", readout_wires: 1, residual: true, residual_weight: \"one_minus_alpha\", angles: \"trained\", embedding: \"amplitude\", seed: nil)",
                                  doc: "The paper's quantum LeNet: LeNet features → amplitude embedding on `qubits` qubits → `layers` StronglyEntanglingLayers → a trainable 2×2 Hermitian per qubit, mixed with a residual path by a trainable α. Variants: hermitian \"frozen\" (initial random H kept fixed) or \"pauli_z\"; Hermitians on groups of `readout_wires` wires; residual: false; residual_weight: \"half\" (0.5 instead of 1 − α, what the reference code computes); angles: \"frozen\" (as the reference code); embedding \"angle\" or \"dense_angle\".",
                                  example: "let q = qlenet(hermitian: \"pauli_z\", residual: false)") { args in
            var spec = ModelSpec(kind: .qlenet, input: try inputName(&args))
            spec.qubits = try args.int("qubits", default: 6, in: QuantumLayer.qubitRange)
            spec.layers = try args.int("layers", default: 3, in: QuantumLayer.layerRange)
            spec.hermitian = try args.choice("hermitian", QuantumLeNet.Options.Hermitian.allCases.map(\.rawValue), default: "trainable")
            spec.readoutWires = try args.int("readout_wires", default: 1, in: QuantumLayer.qubitRange)
            spec.residual = try args.bool("residual", default: true)
            let paperWeight = QuantumLeNet.Options.ResidualWeight.oneMinusAlpha.rawValue
            let weight = try args.choice("residual_weight", QuantumLeNet.Options.ResidualWeight.allCases.map(\.rawValue), default: paperWeight)
            spec.residualWeight = weight == paperWeight ? nil : weight
            spec.trainAngles = try args.choice("angles", ["trained", "frozen"], default: "trained") == "trained"
            spec.embedding = try args.choice("embedding", QuantumLayer.Embedding.allCases.map(\.rawValue), default: "amplitude")
            return try model(spec, seed: try args.seed())
        })
        r.add("learning", Builtin("alexcifarnet", "alexcifarnet(seed: nil)", doc: "AlexCifarNet (Wang et al.'s CIFAR-10 network, 1,756,426 parameters).",
                                  example: "let a = alexcifarnet()") { args in
            try model(ModelSpec(kind: .alexcifarnet, input: "cifar10"), seed: try args.seed())
        })
        r.add("learning", Builtin("train", "train(model, data, epochs: 1, batch: 64, optimizer: \"adam\", lr: 0.001, momentum: 0.9, weight_decay: 0, decay_every: nil, seed: nil)",
                                  doc: "Trains a copy of the model on a dataset (seeded shuffling, progress on stderr) and returns it; on distilled data it replays the distilled steps with their learned step sizes (the other options do not apply).",
                                  example: "let trained = train(lenet(), mnist(), epochs: 1)") { args in
            let m = try modelArgument(&args)
            let dataValue = try args.required("data")
            if case .object(let o) = dataValue, let distilled = o as? DistilledObject {
                // Distilled data carries its own schedule: T steps with the learned step sizes.
                return .object(ModelObject(model: m.model, spec: m.spec, parameters: try distilled.data.train(m.model, from: m.parameters)))
            }
            guard case .object(let o) = dataValue, let dataset = o as? DatasetObject else {
                throw args.typeError("data", expected: "a dataset (mnist(), cifar10()) or distilled data", got: dataValue)
            }
            let data = dataset.dataset
            let epochs = try args.int("epochs", default: 1, in: 0...100_000)
            let batch = try args.int("batch", default: 64, in: 1...1_000_000)
            let kind = try args.choice("optimizer", ["adam", "sgd"], default: "adam")
            let lr = try args.double("lr", default: kind == "adam" ? 0.001 : 0.01, atLeast: 0)
            let momentum = try args.double("momentum", default: 0.9, atLeast: 0), decay = try args.double("weight_decay", default: 0, atLeast: 0)
            let every = try args.int("decay_every", default: 0, in: 0...100_000)
            let seed = try args.seed()
            let steps = epochs * ((data.count + batch - 1) / batch)
            let interpreter = args.interpreter
            let progress = ProgressReporter("train", total: steps, write: { interpreter.onProgress($0) })
            let schedule = every > 0 ? StepDecay(every: every, factor: 0.5) : nil
            let trained: Tensor<Float> = kind == "adam"
                ? try Trainer.train(m.model, parameters: m.parameters, on: data, epochs: epochs, batchSize: batch,
                                    optimizer: Adam<Float>(learningRate: lr), schedule: schedule, seed: seed, progress: progress)
                : try Trainer.train(m.model, parameters: m.parameters, on: data, epochs: epochs, batchSize: batch,
                                    optimizer: SGD<Float>(learningRate: lr, momentum: momentum, weightDecay: decay), schedule: schedule, seed: seed, progress: progress)
            return .object(ModelObject(model: m.model, spec: m.spec, parameters: trained))
        })
        r.add("learning", Builtin("evaluate", "evaluate(model, data)", doc: "Accuracy, mean cross-entropy and the confusion matrix (rows: true class).",
                                  example: "evaluate(trained, mnist(split: \"test\")).accuracy") { args in
            let m = try modelArgument(&args)
            let data = try datasetArgument(&args, "data")
            let e = try Trainer.evaluate(m.model, parameters: m.parameters, on: data)
            return .record([("accuracy", .number(e.accuracy)), ("loss", .number(e.loss)),
                            ("confusion", .list(e.confusion.map { .list($0.map(Value.int)) }))])
        })
        r.add("learning", Builtin("distill", "distill(model, data, images_per_class: 1, steps: 1, epochs: 3, distill_lr: 0.02 (CIFAR-10: 0.001), lr: 0.01, total_epochs: 400, decay_every: 40, batch: 1024, init: \"fixed\", nets: 4, learn_labels: false, rates_per_layer: false, init_images: \"noise\", recover: true, seed: nil)",
                                  doc: "A dataset-distillation run (Wang et al.): learned synthetic images and step sizes, exact meta-gradient, Adam (betas 0.5, 0.999). `learn_labels: true` also learns a soft label row per image (starting one-hot; d.soft_labels); `rates_per_layer: true` learns one step size per inner step and layer (d.rates is then [steps, layers]). `init_images: \"real\"` starts the images at random real training images of their class instead of N(0, 1) noise. `recover: true` (the default; not in the reference code) guards against collapse: when two epochs in a row end with the outer loss no better than a uniform guess after healthy ones, the run returns to an earlier healthy state and halves the outer rate (d.recoveries lists when). With init \"fixed\" it distils for the model's current weights; \"random\" samples `nets` fresh inits per iteration. Run it with d.step(n) or d.run().",
                                  example: "let d = distill(qlenet(), mnist())") { args in
            let m = try modelArgument(&args)
            let data = try datasetArgument(&args, "data")
            var s = DistillationSettings()
            s.distiller.imagesPerClass = try args.int("images_per_class", default: 1, in: DistillationLimits.imagesPerClass)
            s.distiller.steps = try args.int("steps", default: 1, in: DistillationLimits.steps)
            s.distiller.epochs = try args.int("epochs", default: 3, in: DistillationLimits.epochs)
            // the inner rates are softplus(raw) with raw = softplus⁻¹(distill_lr), so distill_lr must be > 0
            s.distiller.distillLearningRate = try args.double("distill_lr", default: m.model.inputShape == [3, 32, 32] ? 0.001 : 0.02,
                                                              atLeast: 0, strictly: true)
            s.distiller.learningRate = try args.double("lr", default: 0.01, atLeast: 0)
            s.totalEpochs = try args.int("total_epochs", default: 400, in: DistillationLimits.totalEpochs)
            s.decayEvery = try args.int("decay_every", default: 40, in: DistillationLimits.decayEvery)
            s.realBatch = try args.int("batch", default: 1024, in: DistillationLimits.realBatch)
            s.randomInit = try args.choice("init", ["fixed", "random"], default: "fixed") == "random"
            s.networksPerIteration = try args.int("nets", default: 4, in: DistillationLimits.networksPerIteration)
            s.distiller.learnLabels = try args.bool("learn_labels", default: false)
            s.distiller.ratesPerLayer = try args.bool("rates_per_layer", default: false)
            s.initialImages = InitialImages(rawValue: try args.choice("init_images", InitialImages.allCases.map(\.rawValue), default: "noise"))!
            s.recoverFromCollapse = try args.bool("recover", default: true)
            s.seed = try args.seed()
            return .object(DistillerObject(try makeRun(m.model, data: data, settings: s, initial: s.randomInit ? nil : m.parameters), modelName: m.name))
        })
        r.add("learning", Builtin("resume", "resume(path, model, data, total_epochs: nil)", doc: "A distillation run restored from a checkpoint written by d.save(path); it continues bit-identically. `total_epochs` extends (or shortens) its schedule: the run then gives the bits of a run started with that length.",
                                  example: "let d = resume(\"run.ckpt\", qlenet(), mnist())") { args in
            let path = try args.string("path")
            let m = try modelArgument(&args)
            let data = try datasetArgument(&args, "data")
            let totalEpochs = try args.optionalInt("total_epochs", in: DistillationLimits.totalEpochs)
            let url = args.interpreter.resolve(path)
            return .object(DistillerObject(try resumeRun(m.model, data: data, url: url, totalEpochs: totalEpochs), modelName: m.name))
        })
    }

    static func registerCosts(_ r: inout Registry) {
        r.add("learning", Builtin("execution_cost", "execution_cost(model, images: 10, steps: 3)",
                                  doc: "Circuit executions to train a quantum LeNet for `steps` gradient steps on `images` images each: simulator forward runs and adjoint sweeps, and parameter-shift executions on hardware (before shots; see README). Compare distilled data (10 images, 3 steps) with the full data (60,000 images per epoch, batch 1 per image).",
                                  example: "execution_cost(qlenet(), images: 60000, steps: 1)") { args in
            let m = try modelArgument(&args)
            guard let q = m.model as? QuantumLeNet else { throw RuntimeError("execution_cost: \(m.name) has no quantum layer; use a qlenet") }
            let images = try args.int("images", default: 10, in: 1...1_000_000_000), steps = try args.int("steps", default: 3, in: 1...1_000_000_000)
            let c = ExecutionCost.training(q.quantum, imagesPerStep: images, steps: steps, trainAngles: q.options.trainAngles)
            return .record([("simulator_forward", .int(c.simulatorForward)), ("simulator_adjoint", .int(c.simulatorAdjoint)),
                            ("parameter_shift", .int(c.parameterShift))])
        })
        r.add("learning", Builtin("quantum_executions", "quantum_executions(reset: false)",
                                  doc: "The circuit executions the quantum layers have run on the simulator so far in this process: {forward, adjoint}; `reset: true` starts the count again.",
                                  example: "quantum_executions(reset: true)") { args in
            let reset = try args.bool("reset", default: false)
            let m = ExecutionCost.measured
            if reset { ExecutionCost.resetMeasured() }
            return .record([("forward", .int(m.forward)), ("adjoint", .int(m.adjoint))])
        })
    }

    private static func makeRun<M: Model>(_ model: M, data: Dataset, settings: DistillationSettings, initial: Tensor<Float>?) throws -> DistillationSession {
        try DistillationRun(model: model, data: data, settings: settings, initial: initial)
    }

    private static func resumeRun<M: Model>(_ model: M, data: Dataset, url: URL, totalEpochs: Int?) throws -> DistillationSession {
        let c = try DistillationRun<M>.loadCheckpoint(from: url)
        do { return try DistillationRun(model: model, data: data, checkpoint: c, totalEpochs: totalEpochs) } catch let e as TensorError {
            throw DataError(file: url.path, "\(e)")
        }
    }

    private static func model(_ spec: ModelSpec, seed: UInt64) throws -> Value {
        let m = try spec.make()
        return .object(ModelObject(model: m, spec: spec, parameters: m.initialParameters(seed: seed)))
    }

    private static func inputName(_ args: inout Arguments) throws -> String {
        try args.choice("input", ["mnist", "cifar10"], default: "mnist")
    }

    private static func modelArgument(_ args: inout Arguments) throws -> ModelObject {
        let v = try args.required("model")
        guard case .object(let o) = v, let m = o as? ModelObject else { throw args.typeError("model", expected: "a model (lenet(), qlenet(), alexcifarnet())", got: v) }
        return m
    }

    private static func datasetArgument(_ args: inout Arguments, _ name: String) throws -> Dataset {
        let v = try args.required(name)
        guard case .object(let o) = v, let d = o as? DatasetObject else { throw args.typeError(name, expected: "a dataset (mnist(), cifar10())", got: v) }
        return d.dataset
    }
}
