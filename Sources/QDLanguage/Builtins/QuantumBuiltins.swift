import QDSimulator

/// Gates, templates, observables, and running and differentiating circuits.
enum QuantumBuiltins {
    static let gateTable: [GateSpec] = [
        GateSpec(name: "id", gate: .identity, controls: 0, doc: "Identity."),
        GateSpec(name: "h", gate: .hadamard, controls: 0, doc: "Hadamard."),
        GateSpec(name: "x", gate: .pauliX, controls: 0, doc: "Pauli X."),
        GateSpec(name: "y", gate: .pauliY, controls: 0, doc: "Pauli Y."),
        GateSpec(name: "z", gate: .pauliZ, controls: 0, doc: "Pauli Z."),
        GateSpec(name: "s", gate: .s, controls: 0, doc: "S = diag(1, i)."),
        GateSpec(name: "sdg", gate: .sAdjoint, controls: 0, doc: "S† = diag(1, −i)."),
        GateSpec(name: "t", gate: .t, controls: 0, doc: "T = diag(1, e^{iπ/4})."),
        GateSpec(name: "tdg", gate: .tAdjoint, controls: 0, doc: "T†."),
        GateSpec(name: "sx", gate: .sx, controls: 0, doc: "√X."),
        GateSpec(name: "rx", gate: .rx, controls: 0, doc: "RX(θ) = [[c, −is], [−is, c]], c = cos θ/2, s = sin θ/2."),
        GateSpec(name: "ry", gate: .ry, controls: 0, doc: "RY(θ) = [[c, −s], [s, c]]."),
        GateSpec(name: "rz", gate: .rz, controls: 0, doc: "RZ(θ) = diag(e^{−iθ/2}, e^{iθ/2})."),
        GateSpec(name: "p", gate: .phaseShift, controls: 0, doc: "Phase shift P(φ) = diag(1, e^{iφ}) (OpenQASM's p)."),
        GateSpec(name: "rot", gate: .rot, controls: 0, doc: "Rot(φ, θ, ω) = RZ(ω)·RY(θ)·RZ(φ) (PennyLane)."),
        GateSpec(name: "u3", gate: .u3, controls: 0, doc: "U3(θ, φ, δ) = [[c, −e^{iδ}s], [e^{iφ}s, e^{i(φ+δ)}c]]."),
        GateSpec(name: "swap", gate: .swap, controls: 0, doc: "Swaps two wires."),
        GateSpec(name: "cx", gate: .pauliX, controls: 1, doc: "CNOT: X on the second wire when the first is 1."),
        GateSpec(name: "cy", gate: .pauliY, controls: 1, doc: "Controlled Y."),
        GateSpec(name: "cz", gate: .pauliZ, controls: 1, doc: "Controlled Z."),
        GateSpec(name: "ch", gate: .hadamard, controls: 1, doc: "Controlled Hadamard."),
        GateSpec(name: "crx", gate: .rx, controls: 1, doc: "Controlled RX."),
        GateSpec(name: "cry", gate: .ry, controls: 1, doc: "Controlled RY."),
        GateSpec(name: "crz", gate: .rz, controls: 1, doc: "Controlled RZ."),
        GateSpec(name: "cp", gate: .phaseShift, controls: 1, doc: "Controlled phase shift."),
        GateSpec(name: "crot", gate: .rot, controls: 1, doc: "Controlled Rot."),
        GateSpec(name: "ccx", gate: .pauliX, controls: 2, doc: "Toffoli: X on the third wire when the first two are 1."),
        GateSpec(name: "cswap", gate: .swap, controls: 1, doc: "Fredkin: swaps the last two wires when the first is 1."),
    ]

    static func register(_ r: inout Registry) {
        for g in gateTable { r.add(gate: g) }
        for t in Templates.all {
            r.add("template", t.name, .operation(Operation(kind: .template(t.name, [], [:]))), doc: t.doc, example: t.example)
        }
        r.add("gate", Builtin("unitary", "unitary(M) q0, q1, ...", doc: "A gate from a unitary matrix (2^k × 2^k, checked), wire 0 of the operands most significant.",
                              example: "unitary([[0, 1], [1, 0]]) 0") { args in
            let v = try args.required("M")
            guard let m = v.asComplexMatrix, m.qubitCount != nil else { throw args.typeError("M", expected: "a square 2^k × 2^k matrix", got: v) }
            guard m.isUnitary(tolerance: 1e-9) else { throw RuntimeError("unitary: the matrix is not unitary (U·U† ≠ I within 1e-9)") }
            return .operation(Operation(kind: .unitary(m)))
        })
        r.add("quantum", Builtin("state", "state(circuit, <input>: values, <param>: values)",
                                 doc: "The final state vector. Inputs and parameters can be given by name; a 2-D input runs a batch.",
                                 example: "state(circuit(2) { h 0; cx 0, 1 })") { args in
            let run = try RunSetup(&args)
            return .state(try args.interpreter.simulator.state(run.circuit.circuit, trainable: run.trainable, inputs: run.inputs))
        })
        r.add("quantum", Builtin("probs", "probs(circuit, ...)", doc: "Basis-state probabilities |ψ_a|², wire 0 the most significant bit ([B, 2^n] for a batch).",
                                 example: "probs(circuit(1) { h 0 })") { args in
            let run = try RunSetup(&args)
            let p = try args.interpreter.simulator.probabilities(run.circuit.circuit, trainable: run.trainable, inputs: run.inputs)
            return .tensor(run.batched ? NDArray(shape: [p.count, p[0].count], data: p.flatMap { $0 }) : NDArray(p[0]))
        })
        r.add("quantum", Builtin("expect", "expect(observables, circuit, shots: nil, seed: nil, obs_params: nil, ...)",
                                 doc: "Expectation values ⟨O⟩, exact or estimated from `shots` samples. One observable gives a number; a list gives a vector; a batch adds a leading dimension.",
                                 example: "expect(Z0 * Z1, circuit(2) { h 0; cx 0, 1 })") { args in
            let obs = try observables(&args)
            let shots = try args.option("shots").map { v -> Int in
                guard let n = v.asInt, Simulator.shotRange.contains(n) else { throw args.typeError("shots", expected: "an integer in \(Simulator.shotRange)", got: v) }
                return n
            }
            let seed = shots == nil ? nil : Optional(try args.seed())
            let run = try RunSetup(&args)
            let sim = args.interpreter.simulator
            let e = if let shots, let seed {
                try sim.estimatedExpectations(run.circuit.circuit, observables: obs.items, trainable: run.trainable, observableParameters: obs.parameters,
                                              inputs: run.inputs, shots: shots, seed: seed)
            } else {
                try sim.expectations(run.circuit.circuit, observables: obs.items, trainable: run.trainable, observableParameters: obs.parameters, inputs: run.inputs)
            }
            if run.batched { return .tensor(NDArray(shape: [e.batch, e.outputs], data: e.values)) }
            return obs.single ? .number(e.values[0]) : .tensor(NDArray(e.values))
        })
        r.add("quantum", Builtin("grad", "grad(observables, circuit, wrt: \"params\", method: \"adjoint\", ...)",
                                 doc: "Gradient of the sum of the expectations (over observables and batch items) with respect to \"params\", \"inputs\" or \"observables\"; method \"adjoint\" (exact) or \"shift\" (parameter shift, params only).",
                                 example: "grad(Z0, circuit(1) { param t = 0.3; ry(t) 0 })") { args in
            let obs = try observables(&args)
            let wrt = try args.choice("wrt", ["params", "inputs", "observables"], default: "params")
            let method = try args.choice("method", ["adjoint", "shift"], default: "adjoint")
            let run = try RunSetup(&args)
            let sim = args.interpreter.simulator
            let upstream = [Double](repeating: 1, count: run.inputs.batch * obs.items.count)
            if method == "shift" {
                guard wrt == "params" else { throw RuntimeError("grad: parameter shift differentiates circuit params only; use method: \"adjoint\" for \(wrt)") }
                return .tensor(NDArray(try sim.parameterShiftGradient(run.circuit.circuit, observables: obs.items, trainable: run.trainable,
                                                                      observableParameters: obs.parameters, inputs: run.inputs, upstream: upstream)))
            }
            let target: DifferentiationTargets = wrt == "params" ? .trainable : wrt == "inputs" ? .inputs : .observable
            let (_, g) = try sim.vectorJacobianProduct(run.circuit.circuit, observables: obs.items, trainable: run.trainable,
                                                       observableParameters: obs.parameters, inputs: run.inputs, upstream: upstream, wrt: target)
            switch wrt {
            case "params": return .tensor(NDArray(g.trainable))
            case "observables": return .tensor(NDArray(g.observable))
            default:
                let f = run.inputs.features
                return .tensor(run.batched ? NDArray(shape: [run.inputs.batch, f], data: g.inputs) : NDArray(g.inputs))
            }
        })
        r.add("quantum", Builtin("sample", "sample(circuit, shots: 1000, seed: nil, ...)",
                                 doc: "Measures every wire `shots` times; returns counts per basis label (wire 0 first). The seed defaults to the run's seed stream.",
                                 example: "sample(circuit(2) { h 0; cx 0, 1 }, shots: 100, seed: 1)") { args in
            let shots = try args.int("shots", default: 1000, in: Simulator.shotRange)
            let seed = try args.seed()
            let run = try RunSetup(&args)
            let samples = try args.interpreter.simulator.sample(run.circuit.circuit, trainable: run.trainable, inputs: run.inputs, shots: shots, seed: seed)
            let n = run.circuit.circuit.qubits
            func counts(_ s: [Int]) -> Value {
                var c: [Int: Int] = [:]
                for a in s { c[a, default: 0] += 1 }
                return .record(c.keys.sorted().map { a in
                    (String((0..<n).map { (a >> (n - 1 - $0)) & 1 == 1 ? "1" : "0" }), .int(c[a]!))
                })
            }
            return run.batched ? .list(samples.map(counts)) : counts(samples[0])
        })
        r.add("quantum", Builtin("draw", "draw(circuit, observables: nil, file: nil)",
                                 doc: "The circuit's text diagram (PennyLane's style), optionally with the measured observables; with `file:` also a PNG of it (path printed).",
                                 example: "draw(circuit(2) { h 0; cx 0, 1 }, Z0)") { args in
            let c = try args.circuit("circuit")
            let obs = try args.optional("observables").map { try ObservableValue.from($0, function: "draw") }
            let text = c.circuit.diagram(observables: obs?.items ?? [])
            if args.option("file").map({ !$0.isNone }) ?? false {
                return try PictureBuiltins.write(try Charts.diagram(text), try PictureBuiltins.fileOption(&args, default: "circuit.png"), args.interpreter)
            }
            return .string(text)
        })
        r.add("quantum", Builtin("hermitian", "hermitian(M) on wires", doc: "A fixed Hermitian observable (checked); place it with `on`.",
                                 example: "hermitian([[1, 0], [0, -1]]) on 0") { args in
            let v = try args.required("M")
            guard let m = v.asComplexMatrix, m.qubitCount != nil else { throw args.typeError("M", expected: "a square 2^k × 2^k matrix", got: v) }
            guard m.isHermitian(tolerance: 1e-10) else { throw RuntimeError("hermitian: the matrix is not Hermitian (M ≠ M† within 1e-10)") }
            return .observableSpec(.hermitian(m))
        })
        r.add("quantum", Builtin("trainable_hermitian", "trainable_hermitian(mean: 0, std: 1, seed: nil) on wires",
                                 doc: "A trainable Hermitian H = (A + A†)/2 with A complex, its 2·4^k reals drawn N(mean, std²); `on each 0..<n` makes one per wire (the paper's readout).",
                                 example: "trainable_hermitian() on each 0..<6") { args in
            let mean = try args.double("mean", default: 0), std = try args.double("std", default: 1)
            return .observableSpec(.trainableHermitian(mean: mean, std: std, seed: try args.optionalSeed()))
        })
        r.add("quantum", Builtin("repeat", "repeat(circuit, times)", doc: "The circuit applied `times` times in a row, sharing its parameters.",
                                 example: "repeat(circuit(1) { h 0 }, 2)") { args in
            let c = try args.circuit("circuit")
            return .circuit(try CircuitBuilder.transform(c, times: try args.int("times", in: 0...100_000)))
        })
        r.add("quantum", Builtin("inv", "inv(circuit)", doc: "The inverse circuit U† (operations reversed and adjointed).", example: "inv(circuit(1) { s 0 })") { args in
            .circuit(try CircuitBuilder.transform(try args.circuit("circuit"), adjoint: true))
        })
        r.add("quantum", Builtin("ctrl", "ctrl(circuit, controls)", doc: "The circuit controlled on the given wires (the result grows to fit them).",
                                 example: "ctrl(circuit(1) { x 0 }, [1])") { args in
            let c = try args.circuit("circuit")
            let v = try args.required("controls")
            guard let wires = try v.asIntList else { throw args.typeError("controls", expected: "a wire or list of wires", got: v) }
            return .circuit(try CircuitBuilder.transform(c, controls: wires))
        })
    }

    /// The `observables` argument: one observable or a list of them.
    private static func observables(_ args: inout Arguments) throws -> (items: [Observable], parameters: [Double], single: Bool) {
        let v = try args.required("observables")
        var o = try ObservableValue.from(v, function: args.function)
        if let p = args.option("obs_params") {
            guard let a = try p.asArray, a.count == o.parameters.count else {
                throw RuntimeError("\(args.function): obs_params must hold \(o.parameters.count) numbers")
            }
            o.parameters = a.data
        }
        var single = false
        if case .observable(let x) = v, x.items.count == 1 { single = true }
        return (o.items, o.parameters, single)
    }
}

extension ObservableValue {
    /// An observable, or a list of observables concatenated.
    static func from(_ v: Value, function: String) throws -> ObservableValue {
        switch v {
        case .observable(let o): return o
        case .list(let items): return .concatenate(try items.map { try from($0, function: function) })
        case .observableSpec: throw RuntimeError("\(function): give the observable its wires with 'on', e.g. hermitian(M) on 0")
        default: throw RuntimeError("\(function): expected an observable (Z0, 0.5 * X0 + Y1, hermitian(M) on 1) or a list of them; got \(v.typeName)")
        }
    }
}
