// qd-bench: named workloads, one JSON object per line, in the shape of ../shared/anchors.
//
//   qd-bench [--threads T] [--workloads W1,W2,W3,W3F,W4,W5,gate,membw,L1,L2,Q1,D1,D2,D3,D4,mnist-lenet] [--ns 4,8,10,12,16,20]
//            [--batch 256] [--n-batch 10] [--target-s 1] [--min-reps 5] [--max-reps 200] [--warmup 2]
//            [--cache-block-bytes 524288] [--data DIR] [--epochs 15] [--outer-slice 256] [--avx512 on|off]
import Foundation
import QDLearning
import QDSimulator
import QDTensor

/// Every workload this executable knows, for the usage line and the unknown-workload error.
let knownWorkloads = "W1,W2,W3,W3F,W4,W5,gate,membw,L1,L2,Q1,D1,D2,D3,D4,mnist-lenet"

let options = BenchOptions(CommandLine.arguments.dropFirst())
let threads = options.int("threads", 1, in: 1...256)
let workloads = (options.string("workloads") ?? "W1,W2,W3,W3F,W4,W5,gate,membw,L1,L2").split(separator: ",").map(String.init)
let ns = options.ints("ns", [4, 8, 10, 12, 16, 20], in: 1...Circuit.maxQubits)
let batch = options.int("batch", 256, in: 1...1_000_000)
let outerSlice = options.optionalInt("outer-slice", in: 1...1_000_000)
let nBatch = options.int("n-batch", 10, in: 1...Circuit.maxQubits)
let minReps = options.int("min-reps", 5, in: 1...1_000_000)
let timer = Timer(warmup: options.int("warmup", 2, in: 0...1_000_000), minReps: minReps,
                  maxReps: options.int("max-reps", max(200, minReps), in: minReps...1_000_000), targetSeconds: options.positive("target-s", 1))
// the AVX-512 convolution kernels (on by default where the CPU has them; same bits either way)
if let wide = options.onOff("avx512") { WideKernels.enabled = wide }
let sim = Simulator(threads: threads)
if let bytes = options.optionalInt("cache-block-bytes", in: 1...(1 << 40)) { sim.cacheBlockBytes = bytes }
var rng = SeededGenerator(seed: 1234)
let base: [String: Any] = ["sim": "qd", "threads": threads, "blas_core": BLASRuntime.coreName, "cpu": cpuModel(), "avx512": WideKernels.enabled]

func record(_ workload: String, _ extra: [String: Any]) -> [String: Any] {
    base.merging(extra) { $1 }.merging(["workload": workload]) { $1 }
}

do {
    for w in workloads {
        switch w {
        case "W1", "W2":
            for n in ns {
                let c = try Workloads.circuit(qubits: n)
                let theta = (0..<c.trainableCount).map { _ in Double.random(in: -.pi..<(.pi), using: &rng) }
                let x = try Workloads.randomInputs(n, batch: 1, rng: &rng)
                let obs = (0..<n).map { Observable.z($0) }
                let ones = [Double](repeating: 1, count: n)
                let times = try timer.measure {
                    if w == "W1" { _ = try sim.expectations(c, observables: obs, trainable: theta, inputs: x) }
                    else { _ = try sim.vectorJacobianProduct(c, observables: obs, trainable: theta, inputs: x, upstream: ones) }
                }
                emit(record(w, ["n": n, "gates": 3 * n * Workloads.layers,
                                "method": w == "W1" ? "forward" : "adjoint (one forward + one reverse sweep)"]), times: times)
            }
        case "W3", "W3F", "W4":
            let n = nBatch
            let c = try Workloads.circuit(qubits: n)
            let theta = (0..<c.trainableCount).map { _ in Double.random(in: -.pi..<(.pi), using: &rng) }
            let x = try Workloads.randomInputs(n, batch: batch, rng: &rng)
            let labels = (0..<batch).map { _ in Int.random(in: 0..<n, using: &rng) }
            let obs = (0..<n).map { Observable.z($0) }
            let upstream = Workloads.crossEntropyUpstream(labels: labels)
            let times = try timer.measure {
                switch w {
                case "W3F": _ = try sim.expectations(c, observables: obs, trainable: theta, inputs: x)
                case "W3": _ = try sim.vectorJacobianProduct(c, observables: obs, trainable: theta, inputs: x, upstream: upstream, wrt: .trainable)
                default: _ = try sim.vectorJacobianProduct(c, observables: obs, trainable: theta, inputs: x, upstream: upstream, wrt: .inputs)
                }
            }
            let method = ["W3F": "batched forward + loss", "W3": "batched forward + adjoint wrt the angles",
                          "W4": "batched forward + adjoint wrt the input amplitudes (through the normalisation)"][w]!
            emit(record(w, ["n": n, "batch": batch, "method": method]), times: times)
        case "W5":
            let n = 6, b = 1024
            var c = try Circuit(qubits: n)
            try c.amplitudeEmbedding(features: 0..<64, wires: Array(0..<n))
            try c.stronglyEntanglingLayers(layers: 3, wires: Array(0..<n))
            let theta = (0..<c.trainableCount).map { _ in Double.random(in: 0..<(2 * .pi), using: &rng) }
            let q = (0..<48).map { _ in Double.random(in: 0..<(2 * .pi), using: &rng) }
            let obs = (0..<n).map { Observable.trainableHermitian(wires: [$0], offset: 8 * $0) }
            let x = try Workloads.randomInputs(n, batch: b, rng: &rng)
            let up = (0..<(b * n)).map { _ in Double.random(in: -1..<1, using: &rng) }
            let times = try timer.measure {
                _ = try sim.vectorJacobianProduct(c, observables: obs, trainable: theta, observableParameters: q, inputs: x, upstream: up)
            }
            emit(record(w, ["n": n, "batch": b, "method": "forward + adjoint wrt angles, inputs and Hermitian parameters"]), times: times)
        case "gate":
            // Per-gate time averaged over a sweep of every wire, as ../shared/anchors/sim/bench_gate.py.
            for n in [20, 24] {
                for gate in ["RY", "RZ", "CNOT"] {
                    var c = try Circuit(qubits: n)
                    for w in 0..<n {
                        switch gate {
                        case "RY": try c.ry(.constant(0.3), w)
                        case "RZ": try c.rz(.constant(0.3), w)
                        default: try c.cnot(w, (w + 1) % n)
                        }
                    }
                    var s = try StateBatch(qubits: n)
                    let times = try timer.measure { try sim.run(c, on: &s) }.map { $0 / Double(n) }
                    emit(record("gate", ["n": n, "gate": gate, "method": "per gate, averaged over a sweep of all wires"]), times: times)
                }
            }
        case "L1", "L2":
            // L1: LeNet training step (forward, cross-entropy, backward, SGD) on 256 images;
            // L2: Hessian-vector product of the LeNet loss on 1024 images (forward included).
            TensorThreads.count = threads
            let model = LeNet()
            let batch = w == "L1" ? 256 : 1024
            let x = Tensor<Float>.normal([batch, 1, 28, 28], using: &rng)
            let labels = (0..<batch).map { _ in Int.random(in: 0..<10, using: &rng) }
            var theta: Tensor<Float> = model.initialParameters(seed: 1)
            let v = Tensor<Float>.normal([model.layout.count], using: &rng)
            let times = try timer.measure {
                let leaf = theta.requiringGrad()
                let loss = try model.forward(x, parameters: leaf).crossEntropy(labels: labels)
                let g = try Autograd.gradients(of: loss, wrt: [leaf], createGraph: w == "L2")[0]
                if w == "L1" {
                    theta = try Autograd.withoutGradients { try theta - g * 0.01 }
                } else {
                    _ = try Autograd.gradients(of: (g * v).sum(), wrt: [leaf])
                }
            }
            emit(record(w, ["model": "LeNet", "batch": batch, "dtype": "float32",
                            "method": w == "L1" ? "forward + cross-entropy + backward + SGD step" : "forward + gradient with create_graph + Hessian-vector product"]), times: times)
        case "Q1":
            // The quantum LeNet forward + cross-entropy + backward (all parameters) on 1024 images.
            TensorThreads.count = threads
            let model = try QuantumLeNet()
            let x = Tensor<Float>.normal([1024, 1, 28, 28], using: &rng)
            let labels = (0..<1024).map { _ in Int.random(in: 0..<10, using: &rng) }
            let theta: Tensor<Float> = model.initialParameters(seed: 1)
            let times = try timer.measure {
                let leaf = theta.requiringGrad()
                _ = try Autograd.gradients(of: model.forward(x, parameters: leaf).crossEntropy(labels: labels), wrt: [leaf])
            }
            emit(record(w, ["model": "QLeNet", "batch": 1024, "dtype": "float32",
                            "method": "forward + cross-entropy + backward, quantum layer as differentiable tensor operations"]), times: times)
        case "D1", "D2", "D3", "D4":
            // One outer iteration of dataset distillation with fixed init on a real batch of 1024:
            // D1 LeNet, 10 images, 3 steps; D2 the same with the quantum LeNet; D3 100 images as
            // 10 steps × 10, 3 epochs (30 inner steps), with the quantum LeNet; D4 D3's schedule with
            // AlexCifarNet on CIFAR-10-shaped images [3, 32, 32].
            TensorThreads.count = threads
            var config = DistillerConfiguration()
            if w == "D3" || w == "D4" { (config.steps, config.epochs) = (10, 3) }
            let real = Tensor<Float>.normal(w == "D4" ? [1024, 3, 32, 32] : [1024, 1, 28, 28], using: &rng)
            let labels = (0..<1024).map { _ in Int.random(in: 0..<10, using: &rng) }
            // every model's outer iterations timed the same way, with their phases
            func timeSteps<M: Model>(of model: M) throws -> (times: [Double], phases: ArraySlice<DistillationPhaseTimes>) {
                let distiller = try Distiller<M, Float>(model: model, configuration: config, seed: 1)
                if let slice = outerSlice { distiller.outerSlice = slice }
                let theta0: Tensor<Float> = model.initialParameters(seed: 2)
                var phases: [DistillationPhaseTimes] = []
                let times = try timer.measure {
                    try distiller.step(initial: theta0, realImages: real, realLabels: labels)
                    phases.append(distiller.lastPhaseTimes!)
                }
                return (times, phases.suffix(times.count))
            }
            let (times, phases) = try w == "D1" ? timeSteps(of: LeNet()) : w == "D4" ? timeSteps(of: AlexCifarNet()) : timeSteps(of: QuantumLeNet())
            emit(record(w, ["model": ["D1": "LeNet", "D4": "AlexCifarNet"][w] ?? "QLeNet", "images": w == "D3" || w == "D4" ? 100 : 10,
                            "inner_steps": w == "D3" || w == "D4" ? 30 : 3, "real_batch": 1024, "dtype": "float32",
                            "method": "unrolled inner steps with exact meta-gradient + Adam",
                            "phases_median_ms": phaseMedians(phases)]), times: times)
        case "mnist-lenet":
            // Full MNIST LeNet training: SGD (lr 0.01, momentum 0.9), batch 64, the rate halved
            // every 5 epochs; one JSON line per epoch with its seconds and the test accuracy.
            TensorThreads.count = threads
            guard let folder = options.string("data").map({ URL(fileURLWithPath: $0) }) ?? Datasets.environmentFolder else {
                FileHandle.standardError.write(Data("qd-bench: mnist-lenet needs --data DIR or QD_DATA\n".utf8))
                exit(2)
            }
            let train = try Datasets.load(.mnist, split: .train, folder: folder), test = try Datasets.load(.mnist, split: .test, folder: folder)
            let model = LeNet()
            var theta: Tensor<Float> = model.initialParameters(seed: 1)
            var sgd = SGD<Float>(learningRate: 0.01, momentum: 0.9)
            let schedule = StepDecay(every: 5, factor: 0.5)
            for epoch in 0..<options.int("epochs", 15, in: 1...10_000) {
                sgd.learningRate = schedule.rate(base: 0.01, epoch: epoch)
                let t0 = DispatchTime.now().uptimeNanoseconds
                theta = try Trainer.train(model, parameters: theta, on: train, epochs: 1, batchSize: 64, optimizer: sgd, seed: UInt64(epoch))
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                let result = try Trainer.evaluate(model, parameters: theta, on: test)
                emit(record(w, ["epoch": epoch + 1, "train": train.name, "test_accuracy": result.accuracy, "test_loss": result.loss,
                                "learning_rate": sgd.learningRate]), times: [seconds])
            }
        case "membw":
            let count = 1 << 24  // 256 MiB of complex128, as the anchors' bench_membw.py
            var re = [Double](repeating: 1, count: count), im = re
            let times = timer.measure {
                re.withUnsafeMutableBufferPointer { r in im.withUnsafeMutableBufferPointer { i in
                    let chunks = threads
                    DispatchQueue.concurrentPerform(iterations: chunks) { k in
                        let lo = count * k / chunks, hi = count * (k + 1) / chunks
                        for j in lo..<hi { let a = r[j], b = i[j]; r[j] = 0.6 * a - 0.8 * b; i[j] = 0.8 * a + 0.6 * b }
                    }
                } }
            }
            emit(record("membw", ["bytes": 16 * count, "method": "in-place complex scale of 2^24 amplitudes"]), times: times)
        default:
            FileHandle.standardError.write(Data("qd-bench: unknown workload '\(w)'; known: \(knownWorkloads.replacingOccurrences(of: ",", with: " "))\n".utf8))
            exit(2)
        }
    }
} catch {
    FileHandle.standardError.write(Data("qd-bench: \(error)\n".utf8))
    exit(1)
}
