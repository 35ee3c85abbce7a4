import Foundation
import QDLearning
import QDTensor

/// A distillation run, whatever its model type.
protocol DistillationSession: AnyObject {
    var iteration: Int { get }
    var epoch: Int { get }
    var totalIterations: Int { get }
    var iterationsPerEpoch: Int { get }
    var losses: [Double] { get }
    var batchAccuracies: [Double] { get }
    var currentLearningRate: Double { get }
    var images: Tensor<Float> { get }
    var labels: [Int] { get }
    var softLabels: Tensor<Float>? { get }
    var learningRates: [Float] { get }
    var rateGroups: Int { get }
    var settings: DistillationSettings { get }
    var recoveries: [Int] { get }
    /// The epoch with the lowest mean outer loss so far, and that loss.
    var best: (epoch: Int, loss: Double)? { get }
    /// Moves the distiller to the best epoch's state; returns it (nil before the first epoch).
    func useBest() throws -> (epoch: Int, loss: Double)?
    @discardableResult
    func run(iterations count: Int, progress: ProgressReporter?, shouldStop: () -> Bool, afterIteration: () throws -> Void) throws -> Int
    func continueFrom(checkpoint url: URL, modelName: String, end: Int) throws -> (iteration: Int, totalEpochs: Int)?
    func evaluate(_ set: DistillationTrainingSet, on test: Dataset, networks: Int) throws -> DistillationEvaluation
    func save(to url: URL, modelName: String) throws
    func distilledData(modelName: String) -> DistilledData
}

extension DistillationRun: DistillationSession {
    func distilledData(modelName: String) -> DistilledData { distiller.distilledData(model: modelName, seed: settings.seed) }
    var images: Tensor<Float> { distiller.images }
    var labels: [Int] { distiller.labels }
    var softLabels: Tensor<Float>? { distiller.targets }
    var learningRates: [Float] { distiller.learningRates }
    var rateGroups: Int { distiller.rateGroups }
    var best: (epoch: Int, loss: Double)? { bestEpoch.best.map { ($0.epoch, $0.meanLoss) } }
    func useBest() throws -> (epoch: Int, loss: Double)? { try restoreBestEpoch().map { ($0.epoch, $0.meanLoss) } }

    /// Continues from the checkpoint at `url` when it is ahead of this run and not past `end`;
    /// returns its iteration and the length of its run's schedule, or nil when it is not ahead
    /// (the file is read once).
    func continueFrom(checkpoint url: URL, modelName: String, end: Int) throws -> (iteration: Int, totalEpochs: Int)? {
        let c = try Self.loadCheckpoint(from: url)
        guard c.iteration > iteration else { return nil }
        guard c.iteration <= end else {
            throw RuntimeError("run: the checkpoint \(url.path) is at iteration \(c.iteration), past this call's end (iteration \(end)); resume it with resume(path, model, data) or pass another file")
        }
        guard c.model == modelName else {
            throw DataError(file: url.path, "the checkpoint is for \(c.model), this run is for \(modelName)")
        }
        do { try restore(c) } catch { throw DataError(file: url.path, "\(error)") }
        return (c.iteration, c.settings.totalEpochs)
    }
}

/// A distillation run as a language value: `d.step(10)`, `d.images`, `d.evaluate(test)`.
final class DistillerObject: HostObject {
    let session: DistillationSession
    let modelName: String
    /// (iteration, test accuracy) of every evaluation on the distilled images, for `plot(d)`.
    private(set) var accuracies: [(Int, Double)] = []

    init(_ session: DistillationSession, modelName: String) {
        self.session = session
        self.modelName = modelName
    }

    var typeName: String { "distiller" }

    func display() -> String {
        let s = session.settings, c = s.distiller
        let n = session.labels.count
        var text = "distiller for \(modelName): \(n) images (\(c.imagesPerClass)/class × \(c.steps) step\(c.steps == 1 ? "" : "s")), \(c.innerSteps) inner steps, \(s.randomInit ? "random init (\(s.networksPerIteration) nets/iteration)" : "fixed init")\(c.learnLabels ? ", learned soft labels" : "")\(c.ratesPerLayer ? ", step sizes per layer" : "")\(s.recoverFromCollapse ? "" : ", no collapse guard"), seed \(s.seed)"
        text += "\n  iteration \(session.iteration)/\(session.totalIterations) (epoch \(session.epoch)/\(s.totalEpochs), \(session.iterationsPerEpoch) per epoch), outer lr \(formatNumber(session.currentLearningRate))"
        if let last = session.losses.last { text += ", last loss \(formatNumber(last))" }
        if let acc = session.batchAccuracies.last { text += ", real-batch accuracy \(formatNumber(acc))" }
        return text
    }

    func json() -> JSONValue {
        .object([("type", .string("distiller")), ("model", .string(modelName)), ("iteration", .number(Double(session.iteration))),
                 ("losses", .array(session.losses.map(JSONValue.number))), ("rates", .array(session.learningRates.map { .number(Double($0)) })),
                 ("seed", .number(Double(session.settings.seed)))])
    }

    var memberNames: [String] { ["step", "run", "images", "labels", "soft_labels", "rates", "losses", "iteration", "epoch", "evaluate", "accuracies", "batch_accuracies", "save", "export", "distilled", "recoveries", "best", "use_best"] }

    func member(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "images":
            let t = session.images
            return .tensor(NDArray(shape: t.shape, data: t.values.map(Double.init)))
        case "labels": return .list(session.labels.map(Value.int))
        case "soft_labels": return session.softLabels.map { .tensor(NDArray(shape: $0.shape, data: $0.values.map(Double.init))) } ?? Value.none
        case "rates": return .tensor(rateArray(session.learningRates, groups: session.rateGroups))
        case "losses": return .tensor(NDArray(session.losses))
        case "batch_accuracies": return .tensor(NDArray(session.batchAccuracies))
        case "iteration": return .int(session.iteration)
        case "recoveries": return .list(session.recoveries.map(Value.int))
        case "best": return session.best.map(Self.bestRecord) ?? Value.none
        case "use_best":
            return method("use_best", "d.use_best()",
                          "Moves the images, rates and soft labels to their state at the end of the epoch with the lowest mean outer loss (training data only; d.best names it) and returns {epoch, loss}. The iteration count and schedule stay, so d.run() goes on from there.",
                          "d.use_best()") { _ in
                guard let best = try self.session.useBest() else {
                    throw RuntimeError("use_best: no epoch has been completed yet (the distiller is at iteration \(self.session.iteration) of \(self.session.iterationsPerEpoch) per epoch)")
                }
                return Self.bestRecord(best)
            }
        case "accuracies":
            return .list(accuracies.map { .record([("iteration", .int($0.0)), ("accuracy", .number($0.1))]) })
        case "epoch": return .int(session.epoch)
        case "step":
            return method("step", "d.step(n: 1)", "Runs n outer iterations (Ctrl-C stops at the next iteration boundary); returns {iteration, loss}.", "d.step(10)") { args in
                let n = try args.int("n", default: 1, in: 1...100_000_000, positional: true)
                return try self.advance(n, interpreter: args.interpreter)
            }
        case "run":
            return method("run", "d.run(epochs: nil, checkpoint: nil, every: 1)",
                          "Runs `epochs` more epochs (default: the rest of the schedule). With `checkpoint: path` it first continues from that file if an earlier, interrupted call left one there, and writes it every `every` epochs and at the end, so re-running a killed script picks up where it stopped. The file may come from a run with a shorter or longer schedule (`total_epochs`) and otherwise the same settings: that extends the run.",
                          "d.run(epochs: 5, checkpoint: \"run.json\")") { args in
                let epochs = try args.optionalInt("epochs", in: 0...1_000_000)
                let every = try args.int("every", default: 1, in: 1...1_000_000)
                let checkpoint = try args.optionalString("checkpoint").map(args.interpreter.resolve)
                let end = epochs.map { self.session.iteration + $0 * self.session.iterationsPerEpoch } ?? self.session.totalIterations
                if let url = checkpoint {
                    try Self.checkWritable(url, call: "run")
                    try self.continueFrom(url, end: end, interpreter: args.interpreter)
                }
                let n = end - self.session.iteration
                guard n > 0 else { return self.summary() }
                guard let url = checkpoint else { return try self.advance(n, interpreter: args.interpreter) }
                let period = every * self.session.iterationsPerEpoch
                var savedAt = -1
                func save() throws {
                    try self.writeCheckpoint(url, call: "run")
                    savedAt = self.session.iteration
                }
                let result = try self.advance(n, interpreter: args.interpreter) {
                    if self.session.iteration % period == 0 { try save() }
                }
                if savedAt != self.session.iteration { try save() }  // the end, unless a period boundary just wrote it
                return result
            }
        case "evaluate":
            return method("evaluate", "d.evaluate(test, on: \"distilled\", networks: 10)",
                          "Trains fresh networks for the same steps on the distilled images (learned step sizes) or on the \"random\" real or class-\"means\" baseline of the same size (the constant step size that does best on held-out training images); returns test accuracy (mean, std).",
                          "d.evaluate(test)") { args in
                guard case .object(let o) = try args.required("test"), let test = o as? DatasetObject else {
                    throw RuntimeError("evaluate: 'test' must be a dataset")
                }
                let set = try args.choice("on", DistillationTrainingSet.allCases.map(\.rawValue), default: "distilled")
                let networks = try args.int("networks", default: 10, in: 1...1000)
                let e = try self.session.evaluate(DistillationTrainingSet(rawValue: set)!, on: test.dataset, networks: networks)
                if set == "distilled" { self.accuracies.append((self.session.iteration, e.mean)) }
                var fields: [(String, Value)] = [("accuracy", .number(e.mean)), ("std", .number(e.standardDeviation)), ("networks", .int(e.accuracies.count)),
                                                 ("trained_on", .string(set))]
                fields.append(("step_size", e.stepSize.map(Value.number) ?? .string("learned")))
                return .record(fields)
            }
        case "distilled":
            return .object(DistilledObject(session.distilledData(modelName: modelName)))
        case "export":
            return method("export", "d.export(path)", "Writes the distilled images, labels (and learned soft labels) and learned step sizes (load_distilled(path) reads them back).", "d.export(\"mnist10.json\")") { args in
                let url = args.interpreter.resolve(try args.string("path"))
                do { try self.session.distilledData(modelName: self.modelName).save(to: url) } catch {
                    throw RuntimeError("export: cannot write \(url.path): \(error.localizedDescription)")
                }
                return .string(url.path)
            }
        case "save":
            return method("save", "d.save(path)", "Writes a checkpoint that resumes the run exactly (resume(path, model, data)).", "d.save(\"run.ckpt\")") { args in
                let url = args.interpreter.resolve(try args.string("path"))
                try self.writeCheckpoint(url, call: "save")
                return .string(url.path)
            }
        default: return nil
        }
    }

    private func method(_ name: String, _ signature: String, _ doc: String, _ example: String,
                        _ body: @escaping (inout Arguments) throws -> Value) -> Value {
        .function(.builtin(Builtin(name, signature, doc: doc, example: example, body: body)))
    }

    private static func bestRecord(_ best: (epoch: Int, loss: Double)) -> Value {
        .record([("epoch", .int(best.epoch)), ("loss", .number(best.loss))])
    }

    private func summary() -> Value {
        .record([("iteration", .int(session.iteration)), ("epoch", .int(session.epoch)), ("loss", session.losses.last.map(Value.number) ?? .none)])
    }

    /// Fails, before any work, when the folder of `url` does not exist or cannot be written.
    private static func checkWritable(_ url: URL, call: String) throws {
        let folder = url.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue,
              FileManager.default.isWritableFile(atPath: folder.path) else {
            throw RuntimeError("\(call): cannot write the checkpoint \(url.path): the folder \(folder.path) does not exist or is not writable")
        }
    }

    /// Writes the run's checkpoint to `url`; an error names the file and says the run is intact.
    private func writeCheckpoint(_ url: URL, call: String) throws {
        do { try session.save(to: url, modelName: modelName) } catch {
            throw RuntimeError("\(call): cannot write the checkpoint \(url.path): \(error.localizedDescription); the distiller is at iteration \(session.iteration) and can continue")
        }
    }

    /// Continues from the checkpoint at `url` if there is one ahead of this run and not past `end`.
    private func continueFrom(_ url: URL, end: Int, interpreter: Interpreter) throws {
        guard FileManager.default.fileExists(atPath: url.path),
              let saved = try session.continueFrom(checkpoint: url, modelName: modelName, end: end) else { return }
        let length = session.settings.totalEpochs
        let schedule = saved.totalEpochs == length ? ""
            : ", \(saved.totalEpochs < length ? "extending" : "shortening") its \(saved.totalEpochs)-epoch schedule to \(length)"
        interpreter.onProgress("continuing from \(url.path) at iteration \(saved.iteration) (epoch \(session.epoch))\(schedule)\n")
    }

    /// Runs n iterations with progress, stopping early on an interrupt request; `afterIteration`
    /// runs after each one.
    private func advance(_ n: Int, interpreter: Interpreter, afterIteration: () throws -> Void = {}) throws -> Value {
        let progress = n > 1 ? ProgressReporter("distil", total: n, write: { interpreter.onProgress($0) }) : nil
        let done = try session.run(iterations: n, progress: progress, shouldStop: { interpreter.interruptRequested }, afterIteration: afterIteration)
        if done < n {
            interpreter.interruptRequested = false
            interpreter.onProgress("\ninterrupted after \(done) of \(n) iterations; the distiller is at iteration \(session.iteration) and can continue\n")
        }
        return summary()
    }
}
