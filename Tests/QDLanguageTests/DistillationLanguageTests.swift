import XCTest
import QDLanguage

/// Distillation through the language on the embedded data: checkpoints resume bit-identically, a
/// diverging run stops with the iteration named and its last good state kept, and the baselines
/// train on images of the distilled shape.
final class DistillationLanguageTests: XCTestCase {
    private let setup = """
    seed 3
    let data = mnist().take(64)
    let test = mnist(split: "test").take(50)
    let m = lenet()
    """

    /// A fresh checkpoint path in the temporary folder.
    private func temporaryCheckpoint() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("qd-run-\(UUID().uuidString).json").path
    }

    /// Runs `script` in a new interpreter and returns it.
    private func evaluated(_ script: String) throws -> Interpreter {
        let qd = Interpreter()
        _ = try qd.evaluate(script)
        return qd
    }

    /// Runs `script`, which continues a run from a checkpoint, and asserts that it reported
    /// `message`, ran only the last epoch (two iterations) and ended as `reference` did, at `iteration`.
    private func assertContinues(_ script: String, reporting message: String, as reference: Interpreter, iteration: Int,
                                 line: UInt = #line) throws {
        let qd = Interpreter()
        var log = ""
        qd.onProgress = { log += $0 }
        _ = try qd.evaluate(script)
        XCTAssertTrue(log.contains(message), log, line: line)
        XCTAssertTrue(log.contains("distil: 2/2"), "only the last epoch should run: \(log)", line: line)
        try assertSameRun(qd, as: reference, iteration: iteration, line: line)
    }

    /// Asserts that the distiller `d` of `run` is at `iteration` with the images, losses and rates of `reference`'s.
    private func assertSameRun(_ run: Interpreter, as reference: Interpreter, iteration: Int, line: UInt = #line) throws {
        XCTAssertEqual(try run.evaluate("d.iteration").asInt, iteration, line: line)
        for member in ["images", "losses", "rates"] {
            XCTAssertEqual(try reference.evaluate("d.\(member)").asArray, try run.evaluate("d.\(member)").asArray, "\(member) differ", line: line)
        }
    }

    func testCheckpointResumesBitIdentically() throws {
        for options in ["", ", learn_labels: true, rates_per_layer: true, init_images: \"real\""] {
            let path = temporaryCheckpoint()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let run = "\nlet d = distill(m, data, batch: 32, steps: 2, epochs: 2\(options))\n"
            let straight = Interpreter()
            _ = try straight.evaluate(setup + run + "d.step(4);")
            let stopped = Interpreter()
            _ = try stopped.evaluate(setup + run + "d.step(2);\nd.save(\"\(path)\");")
            let resumed = Interpreter()
            _ = try resumed.evaluate(setup + "\nlet r = resume(\"\(path)\", m, data)\nr.step(2);")
            XCTAssertEqual(try resumed.evaluate("r.iteration").asInt, 4)
            for member in ["images", "losses", "soft_labels", "rates"] {
                XCTAssertEqual(try straight.evaluate("d.\(member)").asArray, try resumed.evaluate("r.\(member)").asArray,
                               "options '\(options)': resumed \(member) differ from an uninterrupted run")
            }
        }
    }

    /// A script killed mid-run and started again continues from the checkpoint `d.run(checkpoint:)`
    /// wrote, and ends bit-identical to an uninterrupted run.
    func testRunWithCheckpointContinuesAnInterruptedRun() throws {
        let path = temporaryCheckpoint()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = "\nlet d = distill(m, data, batch: 32, total_epochs: 3)\n"  // 2 iterations per epoch
        let straight = try evaluated(setup + run + "d.run();")
        _ = try evaluated(setup + run + "d.run(epochs: 2, checkpoint: \"\(path)\", every: 1);")  // the script stopped after epoch 2 of 3
        try assertContinues(setup + run + "d.run(checkpoint: \"\(path)\");", reporting: "continuing from \(path) at iteration 4 (epoch 2)",
                            as: straight, iteration: 6)
        let other = ScriptRunner()
        other.run(setup)
        XCTAssertEqual(other.run("distill(m, data, batch: 32, total_epochs: 3, epochs: 2).run(checkpoint: \"\(path)\")").first,
                       "test.qd:1:1: error: \(path): the checkpoint was written by a run with different settings (epochs)")
        XCTAssertEqual(other.run("distill(m, data, batch: 32, total_epochs: 3).run(epochs: 1, checkpoint: \"\(path)\")").first,
                       "test.qd:1:1: error: run: the checkpoint \(path) is at iteration 6, past this call's end (iteration 2); resume it with resume(path, model, data) or pass another file")
    }

    /// A finished run's checkpoint continued with a longer schedule, by `d.run(checkpoint:)` or
    /// `resume(..., total_epochs:)`, ends bit-identical to a run given that length from the
    /// start, and so does a shorter schedule continued from a checkpoint before its end; a
    /// checkpoint past the end of a shorter schedule is an error that says how long it must be.
    func testALongerScheduleExtendsAFinishedRunBitIdentically() throws {
        let path = temporaryCheckpoint()
        defer { try? FileManager.default.removeItem(atPath: path) }
        func run(epochs: Int) -> String { "\nlet d = distill(m, data, batch: 32, total_epochs: \(epochs))\n" }  // 2 iterations per epoch
        let straight = try evaluated(setup + run(epochs: 4) + "d.run();")
        _ = try evaluated(setup + run(epochs: 3) + "d.run(checkpoint: \"\(path)\");")
        let resumed = try evaluated(setup + "\nlet d = resume(\"\(path)\", m, data, total_epochs: 4)\nd.run(epochs: nil);")  // nil: the rest of the schedule
        try assertSameRun(resumed, as: straight, iteration: 8)
        try assertContinues(setup + run(epochs: 4) + "d.run(checkpoint: \"\(path)\");",
                            reporting: "continuing from \(path) at iteration 6 (epoch 3), extending its 3-epoch schedule to 4", as: straight, iteration: 8)
        let stopped = temporaryCheckpoint()  // a 4-epoch run stopped after epoch 2, finished as a 3-epoch one
        defer { try? FileManager.default.removeItem(atPath: stopped) }
        _ = try evaluated(setup + run(epochs: 4) + "d.run(epochs: 2, checkpoint: \"\(stopped)\");")
        try assertContinues(setup + run(epochs: 3) + "d.run(checkpoint: \"\(stopped)\");",
                            reporting: "continuing from \(stopped) at iteration 4 (epoch 2), shortening its 4-epoch schedule to 3",
                            as: try evaluated(setup + run(epochs: 3) + "d.run();"), iteration: 6)
        let r = ScriptRunner()
        r.run(setup)
        XCTAssertEqual(r.run("resume(\"\(path)\", m, data, total_epochs: 3)").first,
                       "test.qd:1:1: error: \(path): the checkpoint is at iteration 8, past the end of this run's 3 epochs (6 iterations); it needs a schedule of at least 4 epochs")
        XCTAssertEqual(r.run("resume(\"\(path)\", m, data, total_epochs: 0)").first,
                       "test.qd:1:1: error: resume: argument 'total_epochs' is 0; it must be in 1...1000000")
    }

    /// `d.best` names the epoch whose mean outer loss (computed here from `d.losses`) is lowest;
    /// `d.use_best()` returns it and leaves the iteration count alone; before a whole epoch it
    /// is an error that says why.
    func testUseBestReturnsTheEpochWithTheLowestMeanLoss() throws {
        let r = ScriptRunner()
        XCTAssertEqual(r.run(setup + "\nlet d = distill(m, data, batch: 32, total_epochs: 3)\nd.step(1);"), [])  // 2 iterations per epoch
        XCTAssertEqual(try r.interpreter.evaluate("d.best == nil").asBool, true)
        XCTAssertEqual(r.run("d.use_best()").first,
                       "test.qd:1:1: error: use_best: no epoch has been completed yet (the distiller is at iteration 1 of 2 per epoch)")
        XCTAssertEqual(r.run("d.run();"), [])
        let losses: [Double] = try XCTUnwrap(r.interpreter.evaluate("d.losses").asArray).data
        var means: [Double] = []
        for e in 0..<3 { means.append((losses[2 * e] + losses[2 * e + 1]) / 2) }
        let best: Int = means.firstIndex(of: means.min()!)! + 1
        XCTAssertEqual(try r.interpreter.evaluate("d.best.epoch").asInt, best)
        XCTAssertEqual(try r.interpreter.evaluate("d.use_best().epoch").asInt, best)
        XCTAssertEqual(try r.interpreter.evaluate("d.iteration").asInt, 6)
    }

    func testDivergenceNamesTheIterationAndKeepsTheLastGoodState() throws {
        let r = ScriptRunner()
        XCTAssertEqual(r.run(setup + "\nlet d = distill(m, data, batch: 32, distill_lr: 1e30)"), [])
        let before = try r.interpreter.evaluate("d.images").asArray
        let errors = r.run("d.step(3)")
        XCTAssertEqual(errors.count, 1)
        XCTAssertTrue(errors[0].contains("distillation stopped at iteration 1"), errors[0])
        XCTAssertEqual(try r.interpreter.evaluate("d.iteration").asInt, 0)
        XCTAssertEqual(try r.interpreter.evaluate("d.images").asArray, before)
    }

    func testEvaluationAndBaselinesRun() throws {
        let qd = Interpreter()
        _ = try qd.evaluate(setup + "\nlet d = distill(m, data, batch: 32)\nd.step(1);")
        for set in ["distilled", "random", "means"] {
            let acc = try qd.evaluate("d.evaluate(test, on: \"\(set)\").accuracy").asDouble ?? -1
            XCTAssertTrue((0...1).contains(acc), "\(set): accuracy \(acc)")
        }
        XCTAssertEqual(try qd.evaluate("d.images.shape").asIntList, [10, 1, 28, 28])
        XCTAssertEqual(try qd.evaluate("len(d.rates)").asInt, 3)
        XCTAssertEqual(try qd.evaluate("d.soft_labels == nil").asBool, true)
    }

    func testLearnedSoftLabelsStartOneHotAndMove() throws {
        let qd = Interpreter()
        _ = try qd.evaluate(setup + "\nlet d = distill(m, data, batch: 32, learn_labels: true)")
        let start = try XCTUnwrap(qd.evaluate("d.soft_labels").asArray)
        XCTAssertEqual(start.shape, [10, 10])
        XCTAssertEqual(start.data, (0..<10).flatMap { y in (0..<10).map { $0 == y ? 1.0 : 0.0 } })
        _ = try qd.evaluate("d.step(2);")
        let moved = try XCTUnwrap(qd.evaluate("d.soft_labels").asArray).data
        XCTAssertGreaterThan(zip(start.data, moved).map { abs($0 - $1) }.max()!, 1e-3)
        let r = ScriptRunner()
        XCTAssertEqual(r.run(setup + "\ndistill(m, data, learn_labels: true)"), [])
        XCTAssertTrue(r.lines.contains { $0.contains("fixed init, learned soft labels") }, "\(r.lines)")
    }

    func testPerLayerStepSizesAreAStepsByLayersTable() throws {
        let qd = Interpreter()
        _ = try qd.evaluate(setup + "\nlet d = distill(m, data, batch: 32, rates_per_layer: true)\nd.step(2);")
        let rates = try XCTUnwrap(qd.evaluate("d.rates").asArray)
        XCTAssertEqual(rates.shape, [3, 5], "3 inner steps × LeNet's conv1, conv2, fc1, fc2, fc3")
        XCTAssertGreaterThan(Set(rates.data).count, 5, "the layers' step sizes should have moved apart")
    }

    func testExportedDistilledDataTrainsLikeTheDistillerAndModelsRoundTrip() throws {
        for options in ["", ", learn_labels: true, rates_per_layer: true"] {
            let dir = try scratchDirectory("qd-persist")
            let qd = Interpreter()
            _ = try qd.evaluate(setup + """

            let d = distill(m, data, batch: 32, steps: 2, epochs: 2\(options))
            d.step(2);
            d.export("\(dir.path)/distilled.json");
            save(m, "\(dir.path)/model.json");
            let dd = load_distilled("\(dir.path)/distilled.json")
            let m2 = load_model("\(dir.path)/model.json")
            let trained = train(m2, dd)
            """)
            XCTAssertEqual(try qd.evaluate("m2.params == m.params").asBool, true)
            XCTAssertEqual(try qd.evaluate("dd.count").asInt, 20)
            XCTAssertEqual(try qd.evaluate("dd.rates == d.rates").asBool, true)
            XCTAssertEqual(try qd.evaluate("dd.soft_labels == d.soft_labels").asBool, true, "options '\(options)'")
            XCTAssertEqual(try qd.evaluate("evaluate(trained, test).accuracy").asDouble, try qd.evaluate("d.evaluate(test).accuracy").asDouble,
                           "options '\(options)'")
            for file in ["distilled.json", "model.json"] {
                let keys = try topLevelKeysInWrittenOrder(dir.appendingPathComponent(file))
                XCTAssertEqual(keys, keys.sorted(), "\(file) is written with sorted keys, so the same state gives the same bytes")
            }
            let r = ScriptRunner()
            XCTAssertEqual(r.run("load_model(\"\(dir.path)/distilled.json\")").first, "test.qd:1:1: error: \(dir.path)/distilled.json: not a qd model file: the field 'spec' is missing")
            // a library's error is placed at the call that raised it, not at the statement
            XCTAssertEqual(r.run("let again = load_distilled(\"\(dir.path)/model.json\")").first,
                           "test.qd:1:13: error: \(dir.path)/model.json: not a qd distilled dataset: the field 'model' is missing")
        }
    }

    func testBadArgumentsAreClearErrors() {
        let r = ScriptRunner()
        r.run(setup)
        XCTAssertEqual(r.run("distill(m, data, init: \"warm\")").first,
                       "test.qd:1:1: error: distill: argument 'init' is \"warm\"; valid values are \"fixed\", \"random\"")
        XCTAssertEqual(r.run("distill(m, test, batch: 0)").first,
                       "test.qd:1:1: error: distill: argument 'batch' is 0; it must be in 1...1000000")
        XCTAssertEqual(r.run("resume(\"/nonexistent/ckpt\", m, data)").first?.hasPrefix("test.qd:1:1: error: /nonexistent/ckpt: cannot read: "), true)
        XCTAssertEqual(r.run("train(m, 3)").first, "test.qd:1:1: error: train: argument 'data' must be a dataset (mnist(), cifar10()) or distilled data; got int 3")
        XCTAssertEqual(r.run("distill(m, data, images_per_class: 10000, steps: 10000)").first,
                       "test.qd:1:1: error: distillation: 10000 images per class × 10 classes × 10000 steps of [1, 28, 28] make 784000000000 synthetic values; at most 268435456 fit")
        XCTAssertEqual(r.run("distill(m, data, lr: -1)").first, "test.qd:1:1: error: distill: argument 'lr' is -1; it must be ≥ 0")
        XCTAssertEqual(r.run("distill(m, data, distill_lr: 0)").first, "test.qd:1:1: error: distill: argument 'distill_lr' is 0; it must be > 0")
        XCTAssertEqual(r.run("distill(m, data).run(epochs: -1)").first, "test.qd:1:1: error: run: argument 'epochs' is -1; it must be in 0...1000000")
        XCTAssertEqual(r.run("train(m, data, optimizer: \"sgd\", momentum: -0.5)").first,
                       "test.qd:1:1: error: train: argument 'momentum' is -0.5; it must be ≥ 0")
        XCTAssertEqual(r.run("mnist(limit: -5)").first, "test.qd:1:1: error: mnist: argument 'limit' must be a positive integer; got int -5")
        // a short string is shown, a long one only named
        XCTAssertEqual(r.run("mnist(limit: \"abc\")").first, "test.qd:1:1: error: mnist: argument 'limit' must be a positive integer; got string \"abc\"")
        XCTAssertEqual(r.run("mnist(limit: \"\(String(repeating: "x", count: 41))\")").first,
                       "test.qd:1:1: error: mnist: argument 'limit' must be a positive integer; got string")
    }

    /// The residual weight is part of a quantum LeNet's name and of its saved file; models saved
    /// without it (the default, 1 − α) load as before.
    func testTheResidualWeightIsNamedAndSaved() throws {
        let dir = try scratchDirectory("qd-qlenet")
        let r = ScriptRunner()
        XCTAssertEqual(r.run("""
        let half = qlenet(residual_weight: "half")
        let paper = qlenet()
        save(half, "\(dir.path)/half.json");
        save(paper, "\(dir.path)/paper.json");
        load_model("\(dir.path)/half.json")
        load_model("\(dir.path)/paper.json")
        """), [])
        let names = r.lines.filter { $0.hasPrefix("qlenet") }.map { $0.prefix { $0 != ":" } }
        XCTAssertEqual(names, ["qlenet (residual weight 0.5)", "qlenet"])
        let paperFile = try String(contentsOf: dir.appendingPathComponent("paper.json"), encoding: .utf8)
        XCTAssertFalse(paperFile.contains("residualWeight"), "the default is left out, as in files saved before the option")
        XCTAssertEqual(r.run("qlenet(residual_weight: \"third\")").first,
                       "test.qd:1:1: error: qlenet: argument 'residual_weight' is \"third\"; valid values are \"one_minus_alpha\", \"half\"")
    }

    /// A checkpoint that cannot be written fails before any iteration runs (run) or leaves the run
    /// as it was (save), and the message names the file.
    func testUnwritableCheckpointsAreClearErrorsAndLoseNothing() throws {
        let r = ScriptRunner()
        XCTAssertEqual(r.run(setup + "\nlet d = distill(m, data, batch: 32)"), [])
        XCTAssertEqual(r.run("d.run(epochs: 1, checkpoint: \"/nonexistent/dir/c.json\")").first,
                       "test.qd:1:1: error: run: cannot write the checkpoint /nonexistent/dir/c.json: the folder /nonexistent/dir does not exist or is not writable")
        XCTAssertEqual(try r.interpreter.evaluate("d.iteration").asInt, 0)
        XCTAssertEqual(r.run("d.step(1);"), [])
        let error = try XCTUnwrap(r.run("d.save(\"/nonexistent/dir/c.json\")").first)
        XCTAssertTrue(error.hasPrefix("test.qd:1:1: error: save: cannot write the checkpoint /nonexistent/dir/c.json: "), error)
        XCTAssertTrue(error.hasSuffix("; the distiller is at iteration 1 and can continue"), error)
        XCTAssertEqual(try r.interpreter.evaluate("d.iteration").asInt, 1)
    }

    /// The keys of a JSON object file's outer object, in the order the file has them.
    private func topLevelKeysInWrittenOrder(_ url: URL) throws -> [String] {
        let text = try String(contentsOf: url, encoding: .utf8)
        var keys: [String] = [], depth = 0, inString = false, escaped = false, current = ""
        for c in text {
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false } else { current.append(c) }
                continue
            }
            switch c {
            case "\"": inString = true; current = ""
            case "{", "[": depth += 1
            case "}", "]": depth -= 1
            case ":": if depth == 1 { keys.append(current) }
            default: break
            }
        }
        return keys
    }
}
