import Foundation

/// The batched statevector simulator: runs circuits, measures observables, and differentiates
/// them exactly with the adjoint method (memory of two states, not a tape).
///
///     let sim = Simulator()
///     let e = try sim.expectations(circuit, observables: [.z(0)], trainable: θ, inputs: x)
///     let (e, g) = try sim.vectorJacobianProduct(circuit, observables: obs, trainable: θ,
///                                                inputs: x, upstream: dLdE)
///
/// Every public method validates its arguments and throws ``SimulatorError``; none traps.
/// Threads: a batch is split into column ranges that run the whole circuit independently; a
/// single large state splits each gate's loop instead.
public final class Simulator: @unchecked Sendable {
    /// Threads to use (≥ 1).
    public var threads: Int
    /// Executions performed by this simulator.
    public let counter = ExecutionCounter()
    /// Bytes of state one column chunk of a batch may occupy (default: half of a 1 MiB L2 cache).
    /// Results do not depend on it; tests shrink it to exercise the chunked path.
    public var cacheBlockBytes = 512 * 1024
    /// The gate lists of its last runs, reused by a run of the same circuit and angles.
    private let lowered = LoweringCache()

    /// A simulator using `threads` threads (default: every active core).
    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.threads = max(1, threads)
    }

    // MARK: public API

    /// The final states of a batch.
    public func state(_ circuit: Circuit, trainable: [Double] = [], inputs: Inputs = .empty(),
                      initialState: StateBatch? = nil) throws -> StateBatch {
        try checkInitial(circuit, inputs: inputs, initialState: initialState, copies: 1)
        let plan = try makePlan(circuit, observables: [], trainable: trainable, observableParameters: [], inputs: inputs,
                                upstream: nil, initialState: initialState)
        var phi = initialState
        _ = execute(plan, state: &phi, wantState: true)
        counter.record(forward: plan.batch)
        return phi!
    }

    /// Applies a circuit without state preparation to `state` in place (no copy of the state).
    public func run(_ circuit: Circuit, on state: inout StateBatch, trainable: [Double] = [], inputs: Inputs? = nil) throws {
        guard circuit.preparation == nil else {
            throw SimulatorError.invalidCircuit("run(on:) applies gates to an existing state; this circuit prepares its own with \(circuit.preparation!.label)")
        }
        guard state.qubits == circuit.qubits else {
            throw SimulatorError.invalidInput("the state has \(state.qubits) qubits; the circuit needs \(circuit.qubits)")
        }
        let x = inputs ?? .empty(batch: state.batch)
        let plan = try makePlan(circuit, observables: [], trainable: trainable, observableParameters: [], inputs: x,
                                upstream: nil, initialState: state)
        var phi: StateBatch? = state
        state = StateBatch.placeholder  // leaves `phi` the only reference, so it is updated in place
        _ = execute(plan, state: &phi, wantState: true)
        state = phi!
        counter.record(forward: plan.batch)
    }

    /// ⟨O_o⟩ for every batch item and observable.
    public func expectations(_ circuit: Circuit, observables: [Observable], trainable: [Double] = [],
                             observableParameters: [Double] = [], inputs: Inputs = .empty(),
                             initialState: StateBatch? = nil) throws -> Expectations {
        try checkInitial(circuit, inputs: inputs, initialState: initialState, copies: 1)
        let plan = try makePlan(circuit, observables: observables, trainable: trainable, observableParameters: observableParameters,
                                inputs: inputs, upstream: nil, initialState: initialState)
        var phi = initialState
        let r = execute(plan, state: &phi, wantState: false)
        counter.record(forward: plan.batch)
        return Expectations(batch: plan.batch, outputs: plan.outputs, values: r.expectations)
    }

    /// ⟨O_o⟩ for every batch item and observable, and the final states they were measured on: what
    /// ``vectorJacobianProduct(_:observables:trainable:observableParameters:inputs:finalState:upstream:wrt:)``
    /// starts from, so that the gradients need no second run of the circuit.
    public func expectationsAndFinalState(_ circuit: Circuit, observables: [Observable], trainable: [Double] = [],
                                          observableParameters: [Double] = [], inputs: Inputs = .empty()) throws -> (Expectations, StateBatch) {
        try checkInitial(circuit, inputs: inputs, initialState: nil, copies: 1)
        let plan = try makePlan(circuit, observables: observables, trainable: trainable, observableParameters: observableParameters,
                                inputs: inputs, upstream: nil, initialState: nil)
        var phi: StateBatch?
        let r = execute(plan, state: &phi, wantState: true)
        counter.record(forward: plan.batch)
        return (Expectations(batch: plan.batch, outputs: plan.outputs, values: r.expectations), phi!)
    }

    /// The expectations and gradients ``vectorJacobianProduct(_:observables:trainable:observableParameters:inputs:initialState:upstream:wrt:)``
    /// gives, from `finalState`, the final states of a run of the same circuit with the same
    /// parameters and inputs (``expectationsAndFinalState(_:observables:trainable:observableParameters:inputs:)``):
    /// the adjoint sweep alone, without running the circuit again, and the same bits. The states
    /// are checked for shape only; states from another run give wrong gradients.
    public func vectorJacobianProduct(_ circuit: Circuit, observables: [Observable], trainable: [Double] = [],
                                      observableParameters: [Double] = [], inputs: Inputs = .empty(),
                                      finalState: StateBatch, upstream: [Double],
                                      wrt targets: DifferentiationTargets = .all) throws -> (Expectations, Gradients) {
        try checkInitial(circuit, inputs: inputs, initialState: finalState, copies: 2, isFinal: true)
        let plan = try makePlan(circuit, observables: observables, trainable: trainable, observableParameters: observableParameters,
                                inputs: inputs, upstream: .values(upstream), initialState: finalState, targets: targets)
        return try adjointRun(plan, from: finalState, isFinal: true, targets: targets)
    }

    /// The expectations and, for an upstream gradient g = ∂L/∂E (B × O, row-major), the exact
    /// gradients of L = Σ g·E with respect to the trainable parameters, the observable parameters,
    /// the input features and (when an initial state is given) its amplitudes, in one forward run
    /// and one adjoint sweep.
    public func vectorJacobianProduct(_ circuit: Circuit, observables: [Observable], trainable: [Double] = [],
                                      observableParameters: [Double] = [], inputs: Inputs = .empty(),
                                      initialState: StateBatch? = nil, upstream: [Double],
                                      wrt targets: DifferentiationTargets = .all) throws -> (Expectations, Gradients) {
        try vectorJacobianProduct(circuit, observables: observables, trainable: trainable, observableParameters: observableParameters,
                                  inputs: inputs, initialState: initialState, upstream: .values(upstream), wrt: targets)
    }

    /// The same, with the upstream gradient given as ``Upstream`` (fixed values, or a function of
    /// each item's expectations).
    public func vectorJacobianProduct(_ circuit: Circuit, observables: [Observable], trainable: [Double] = [],
                                      observableParameters: [Double] = [], inputs: Inputs = .empty(),
                                      initialState: StateBatch? = nil, upstream: Upstream,
                                      wrt targets: DifferentiationTargets = .all) throws -> (Expectations, Gradients) {
        try checkInitial(circuit, inputs: inputs, initialState: initialState, copies: 2)
        let plan = try makePlan(circuit, observables: observables, trainable: trainable, observableParameters: observableParameters,
                                inputs: inputs, upstream: upstream, initialState: initialState, targets: targets)
        return try adjointRun(plan, from: initialState, isFinal: false, targets: targets)
    }

    /// Runs a plan with an upstream gradient from `state` (nil: prepared from the inputs; with
    /// `isFinal`, the final states of an earlier forward run, so only the adjoint run is counted)
    /// and returns its expectations and the gradients `targets` asks for.
    private func adjointRun(_ plan: RunPlan, from state: StateBatch?, isFinal: Bool,
                            targets: DifferentiationTargets) throws -> (Expectations, Gradients) {
        var phi = state
        let r = execute(plan, state: &phi, wantState: false, stateIsFinal: isFinal)
        if let message = r.gradients.upstreamError { throw SimulatorError.invalidInput(message) }
        counter.record(forward: isFinal ? 0 : plan.batch, adjoint: plan.batch)
        let g = Gradients(trainable: targets.contains(.trainable) ? r.gradients.trainableGradient : [],
                          observable: targets.contains(.observable) ? r.gradients.observableGradient : [],
                          inputs: targets.contains(.inputs) ? r.inputGradient : [],
                          state: targets.contains(.inputs) ? r.stateGradient : nil)
        return (Expectations(batch: plan.batch, outputs: plan.outputs, values: r.expectations), g)
    }

    /// Basis-state probabilities |ψ_a|² of every batch item, `[item][a]`.
    public func probabilities(_ circuit: Circuit, trainable: [Double] = [], inputs: Inputs = .empty()) throws -> [[Double]] {
        let s = try state(circuit, trainable: trainable, inputs: inputs)
        return (0..<s.batch).map { s.probabilities(item: $0) }
    }

    // MARK: validation

    /// Checks a run's starting state: `initialState` (nil: prepared from the inputs) or, with
    /// `isFinal`, the final states a gradient starts from, which may come from a circuit that
    /// prepares its own state. Both must match the circuit's qubits and the inputs' batch, and
    /// `copies` states of that size must fit in memory.
    private func checkInitial(_ circuit: Circuit, inputs: Inputs, initialState: StateBatch?, copies: Int, isFinal: Bool = false) throws {
        guard let s = initialState else {
            return try StateBatch.checkFits(qubits: circuit.qubits, batch: inputs.batch, copies: copies)
        }
        guard isFinal || circuit.preparation == nil else {
            throw SimulatorError.invalidCircuit("an initial state was given, but the circuit already prepares its state with \(circuit.preparation!.label)")
        }
        guard s.qubits == circuit.qubits, s.batch == inputs.batch || circuit.inputCount == 0 else {
            throw SimulatorError.invalidInput("\(isFinal ? "final" : "initial") state has \(s.qubits) qubits × batch \(s.batch); the circuit needs \(circuit.qubits) qubits and the inputs have batch \(inputs.batch)")
        }
        try StateBatch.checkFits(qubits: s.qubits, batch: s.batch, copies: copies)
    }

    // MARK: execution

    private func makePlan(_ circuit: Circuit, observables: [Observable], trainable: [Double], observableParameters: [Double],
                          inputs: Inputs, upstream: Upstream?, initialState: StateBatch?,
                          targets: DifferentiationTargets = .all) throws -> RunPlan {
        guard trainable.count == circuit.trainableCount else {
            throw SimulatorError.parameterCount("the circuit reads \(circuit.trainableCount) trainable parameter(s) (slots 0..<\(circuit.trainableCount)); got \(trainable.count)")
        }
        if let bad = trainable.firstIndex(where: { !$0.isFinite }) {
            throw SimulatorError.parameterCount("trainable parameter \(bad) is \(trainable[bad]); parameters must be finite")
        }
        let batch = initialState?.batch ?? inputs.batch
        guard inputs.features >= circuit.inputCount else {
            throw SimulatorError.invalidInput("the circuit reads \(circuit.inputCount) input feature(s) per item (0..<\(circuit.inputCount)); inputs have \(inputs.features)")
        }
        if circuit.inputCount > 0, inputs.batch != batch {
            throw SimulatorError.invalidInput("inputs have batch \(inputs.batch); the initial state has batch \(batch)")
        }
        for b in 0..<inputs.batch {
            let row = inputs.row(b)
            if let bad = row.firstIndex(where: { !$0.isFinite }) {
                throw SimulatorError.invalidInput("input item \(b), feature \(bad - row.startIndex) is \(row[bad]); inputs must be finite")
            }
            try checkPreparation(circuit.preparation, row: row, item: b)
        }
        let obsEnd = observables.map(\.parameterEnd).max() ?? 0
        guard observableParameters.count == obsEnd else {
            throw SimulatorError.parameterCount("the observables read \(obsEnd) observable parameter(s); got \(observableParameters.count)")
        }
        if let bad = observableParameters.firstIndex(where: { !$0.isFinite }) {
            throw SimulatorError.parameterCount("observable parameter \(bad) is \(observableParameters[bad]); parameters must be finite")
        }
        for o in observables { try o.validate(qubits: circuit.qubits, parameterCount: observableParameters.count) }
        if case .values(let g)? = upstream {
            guard g.count == batch * observables.count else {
                throw SimulatorError.invalidInput("upstream gradient has \(g.count) values; need batch \(batch) × \(observables.count) observable(s) = \(batch * observables.count)")
            }
            if let bad = g.firstIndex(where: { !$0.isFinite }) {
                throw SimulatorError.invalidInput("upstream gradient entry \(bad) is \(g[bad]); it must be finite")
            }
        }
        return RunPlan(circuit: circuit, trainable: trainable, batch: batch, observables: observables,
                       matrices: observables.map { $0.matrix(observableParameters) },
                       observableParameterCount: observableParameters.count,
                       inputs: inputs.values, features: inputs.features, upstream: upstream, targets: targets)
    }

    private func checkPreparation(_ prep: StatePreparation?, row: ArraySlice<Double>, item b: Int) throws {
        switch prep {
        case .amplitude(let feats, _, let pad)?:
            var norm2 = Double((1 << prep!.wires.count) - feats.count) * pad * pad
            for k in feats { let x = row[row.startIndex + k]; norm2 += x * x }
            guard norm2 > 0, norm2.isFinite else {
                throw SimulatorError.invalidInput("amplitude embedding: input item \(b) has norm \(norm2.squareRoot()); it must be a nonzero finite vector")
            }
        case .basis(let feats, _)?:
            for k in feats where row[row.startIndex + k] != 0 && row[row.startIndex + k] != 1 {
                throw SimulatorError.invalidInput("basis embedding: input item \(b), feature \(k) is \(row[row.startIndex + k]); basis inputs must be 0 or 1")
            }
        case nil: break
        }
    }

    /// Everything a run returns.
    struct RunOutput {
        var gradients: RunResult
        var expectations: [Double]
        var inputGradient: [Double]
        /// ∂L/∂Re ψ₀ and ∂L/∂Im ψ₀ of a given initial state (backward runs from an initial state).
        var stateGradient: StateBatch?
    }

    /// Runs the plan (forward, measure, and backward when it has an upstream gradient).
    ///
    /// `state` holds the initial state, or nil to prepare each column from the inputs, or with
    /// `stateIsFinal` the final state of an earlier forward run (the run then measures and goes
    /// backward from it); with `wantState` it returns the final state. A batch whose states exceed ``cacheBlockBytes`` is cut
    /// into column chunks that each run the whole circuit in a private, cache-resident buffer
    /// (cache blocking), with threads taking chunks in turn; the full batch of states is then never
    /// materialised unless asked for. Otherwise the run works on one full-batch state, and a large
    /// single state splits every gate's loop across threads.
    private func execute(_ plan: RunPlan, state: inout StateBatch?, wantState: Bool, stateIsFinal: Bool = false) -> RunOutput {
        let b = plan.batch, dim = plan.dimension, backward = plan.upstream != nil
        let columnBytes = dim * 16 * (backward ? 2 : 1)
        let width = min(b, max(8, cacheBlockBytes / columnBytes))
        let chunks = (b + width - 1) / width
        let startsFromState = state != nil  // (a copy of `state` here would defeat in-place updates)
        if wantState && state == nil { state = StateBatch(zeroedQubits: plan.qubits, batch: b) }
        var output = RunOutput(gradients: RunResult(plan),
                               expectations: [Double](repeating: 0, count: b * plan.outputs),
                               inputGradient: [Double](repeating: 0, count: backward ? b * plan.features : 0),
                               stateGradient: backward && startsFromState && !stateIsFinal ? StateBatch(zeroedQubits: plan.qubits, batch: b) : nil)
        let workers = min(threads, chunks)
        let parts = chunks == 1 && threads > 1 && dim * b >= 1 << 15 ? threads : 1
        // Without per-sample angles a chunk's ops depend only on its width: lower once per width, or
        // reuse the lowering of an earlier run with the same circuit, angles and width.
        let widths = Set((0..<chunks).map { min(b, ($0 + 1) * width) - $0 * width })
        let sharedOps: [Int: [CompiledOp]] = plan.hasPerSampleParameters ? [:]
            : Dictionary(uniqueKeysWithValues: widths.map { ($0, lowered.ops(for: $0 == b ? plan : plan.chunk(0..<$0))) })
        let results = UnsafeMutablePointer<RunResult>.allocate(capacity: workers)
        defer { results.deinitialize(count: workers); results.deallocate() }
        output.expectations.withUnsafeMutableBufferPointer { ep in
        output.inputGradient.withUnsafeMutableBufferPointer { gp in
        withStatePointers(&state) { fullPhi in
        withStatePointers(&output.stateGradient) { fullLam in
            parallelFor(workers) { worker in
                let onFullState = chunks == 1 && fullPhi != nil
                let scratch = ChunkBuffers(count: onFullState ? 0 : dim * width, states: backward ? 2 : 1)
                var sum = RunResult(plan)
                for k in stride(from: worker, to: chunks, by: workers) {
                    let cols = (k * width)..<min(b, (k + 1) * width)
                    let chunkPlan = chunks == 1 ? plan : plan.chunk(cols)
                    let w = cols.count
                    // φ: the full state itself for one chunk, else a private buffer
                    let phi = onFullState ? fullPhi! : scratch.phi(dim * w)
                    let lam = backward ? scratch.lambda(dim * w) : phi
                    if let full = fullPhi, startsFromState, chunks > 1 { gather(full, b, cols, into: phi, dim) }
                    let outputs = ColumnOutputs(expectations: ep.baseAddress! + cols.lowerBound * plan.outputs,
                                                inputGradient: (gp.baseAddress ?? ep.baseAddress!) + cols.lowerBound * plan.features)
                    let layout = RunLayout(dimension: dim, batch: w, part: 0, parts: 1)
                    let ops = sharedOps[w] ?? chunkPlan.compiled()
                    sum.add(Pipeline(plan: chunkPlan, ops: ops, phi: phi, lam: lam, layout: layout, parts: parts, outputs: outputs)
                        .run(prepared: startsFromState, forwardDone: stateIsFinal))
                    if let full = fullPhi, wantState, chunks > 1 { scatter(phi, into: full, b, cols, dim, scale: 1) }
                    if let full = fullLam { scatter(lam, into: full, b, cols, dim, scale: 2) }
                }
                (results + worker).initialize(to: sum)
            }
        } } } }
        for k in 0..<workers { output.gradients.add(results[k]) }
        return output
    }
}

/// Per-worker chunk buffers: zeroed φ and λ of up to `count` complex amplitudes each. A run on
/// the full-batch state itself passes `count` 0 and gets λ (if needed) allocated on first use.
private final class ChunkBuffers {
    private let count: Int
    private let storage: UnsafeMutablePointer<Double>
    private var ownLambda: UnsafeMutablePointer<Double>?

    init(count: Int, states: Int) {
        self.count = count
        storage = .allocate(capacity: max(1, 2 * count * states))
    }

    deinit { storage.deallocate(); ownLambda?.deallocate() }

    /// φ for `n` ≤ `count` amplitudes, zeroed.
    func phi(_ n: Int) -> StatePointers {
        precondition(n <= count, "chunk buffer of \(count) amplitudes asked for \(n)")
        storage.update(repeating: 0, count: 2 * n)
        return StatePointers(re: storage, im: storage + n)
    }

    /// λ for `n` amplitudes, zeroed.
    func lambda(_ n: Int) -> StatePointers {
        let base: UnsafeMutablePointer<Double>
        if n <= count {
            base = storage + 2 * count
        } else {
            if ownLambda == nil { ownLambda = .allocate(capacity: 2 * n) }
            base = ownLambda!
        }
        base.update(repeating: 0, count: 2 * n)
        return StatePointers(re: base, im: base + n)
    }
}

/// Copies columns `cols` of a full batch (B columns) into a chunk buffer (`cols.count` columns).
private func gather(_ full: StatePointers, _ b: Int, _ cols: Range<Int>, into chunk: StatePointers, _ dim: Int) {
    let w = cols.count
    for a in 0..<dim {
        for j in 0..<w {
            chunk.re[a * w + j] = full.re[a * b + cols.lowerBound + j]
            chunk.im[a * w + j] = full.im[a * b + cols.lowerBound + j]
        }
    }
}

/// Writes a chunk buffer back into columns `cols` of a full batch, times `scale`.
private func scatter(_ chunk: StatePointers, into full: StatePointers, _ b: Int, _ cols: Range<Int>, _ dim: Int, scale: Double) {
    let w = cols.count
    for a in 0..<dim {
        for j in 0..<w {
            full.re[a * b + cols.lowerBound + j] = scale * chunk.re[a * w + j]
            full.im[a * b + cols.lowerBound + j] = scale * chunk.im[a * w + j]
        }
    }
}

/// Calls `body` with pointers into `state`'s arrays (nil when there is no state).
private func withStatePointers<R>(_ state: inout StateBatch?, _ body: (StatePointers?) -> R) -> R {
    guard var s = state else { return body(nil) }
    state = nil  // keeps `s` uniquely referenced, so its arrays are not copied
    defer { state = s }
    return s.re.withUnsafeMutableBufferPointer { r in
        s.im.withUnsafeMutableBufferPointer { i in body(StatePointers(re: r.baseAddress!, im: i.baseAddress!)) }
    }
}
