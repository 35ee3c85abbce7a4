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

    /// A simulator using `threads` threads (default: every active core).
    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.threads = max(1, threads)
    }

    // MARK: public API

    /// The final states of a batch.
    public func state(_ circuit: Circuit, trainable: [Double] = [], inputs: Inputs = .empty(),
                      initialState: StateBatch? = nil) throws -> StateBatch {
        var phi = try initial(circuit, inputs: inputs, initialState: initialState, copies: 1)
        let plan = try makePlan(circuit, observables: [], trainable: trainable, observableParameters: [], inputs: inputs,
                                upstream: nil, initialState: initialState)
        var none: StateBatch?
        _ = execute(plan, phi: &phi, lam: &none, prepared: initialState != nil)
        counter.record(forward: plan.batch)
        return phi
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
        var none: StateBatch?
        _ = execute(plan, phi: &state, lam: &none, prepared: true)
        counter.record(forward: plan.batch)
    }

    /// ⟨O_o⟩ for every batch item and observable.
    public func expectations(_ circuit: Circuit, observables: [Observable], trainable: [Double] = [],
                             observableParameters: [Double] = [], inputs: Inputs = .empty(),
                             initialState: StateBatch? = nil) throws -> Expectations {
        var phi = try initial(circuit, inputs: inputs, initialState: initialState, copies: 1)
        let plan = try makePlan(circuit, observables: observables, trainable: trainable, observableParameters: observableParameters,
                                inputs: inputs, upstream: nil, initialState: initialState)
        var none: StateBatch?
        let r = execute(plan, phi: &phi, lam: &none, prepared: initialState != nil)
        counter.record(forward: plan.batch)
        return Expectations(batch: plan.batch, outputs: plan.outputs, values: r.expectations)
    }

    /// The expectations and, for an upstream gradient g = ∂L/∂E (B × O, row-major), the exact
    /// gradients of L = Σ g·E with respect to the trainable parameters, the observable parameters,
    /// the input features and the prepared state, in one forward run and one adjoint sweep.
    public func vectorJacobianProduct(_ circuit: Circuit, observables: [Observable], trainable: [Double] = [],
                                      observableParameters: [Double] = [], inputs: Inputs = .empty(),
                                      initialState: StateBatch? = nil, upstream: [Double]) throws -> (Expectations, Gradients) {
        try vectorJacobianProduct(circuit, observables: observables, trainable: trainable, observableParameters: observableParameters,
                                  inputs: inputs, initialState: initialState, upstream: .values(upstream))
    }

    /// The same, with the upstream gradient given as ``Upstream`` (fixed values, or a function of
    /// each item's expectations).
    public func vectorJacobianProduct(_ circuit: Circuit, observables: [Observable], trainable: [Double] = [],
                                      observableParameters: [Double] = [], inputs: Inputs = .empty(),
                                      initialState: StateBatch? = nil, upstream: Upstream) throws -> (Expectations, Gradients) {
        var phi = try initial(circuit, inputs: inputs, initialState: initialState, copies: 2)
        let plan = try makePlan(circuit, observables: observables, trainable: trainable, observableParameters: observableParameters,
                                inputs: inputs, upstream: upstream, initialState: initialState)
        var adjointState: StateBatch? = phi
        let r = execute(plan, phi: &phi, lam: &adjointState, prepared: initialState != nil)
        if let message = r.upstreamError { throw SimulatorError.invalidInput(message) }
        counter.record(forward: plan.batch, adjoint: plan.batch)
        var lam = adjointState!
        lam.re = lam.re.map { 2 * $0 }
        lam.im = lam.im.map { 2 * $0 }
        let g = Gradients(trainable: r.trainableGradient, observable: r.observableGradient, inputs: r.inputGradient, state: lam)
        return (Expectations(batch: plan.batch, outputs: plan.outputs, values: r.expectations), g)
    }

    /// Basis-state probabilities |ψ_a|² of every batch item, `[item][a]`.
    public func probabilities(_ circuit: Circuit, trainable: [Double] = [], inputs: Inputs = .empty()) throws -> [[Double]] {
        let s = try state(circuit, trainable: trainable, inputs: inputs)
        return (0..<s.batch).map { s.probabilities(item: $0) }
    }

    // MARK: execution

    private func initial(_ circuit: Circuit, inputs: Inputs, initialState: StateBatch?, copies: Int) throws -> StateBatch {
        if let s = initialState {
            guard circuit.preparation == nil else {
                throw SimulatorError.invalidCircuit("an initial state was given, but the circuit already prepares its state with \(circuit.preparation!.label)")
            }
            guard s.qubits == circuit.qubits, s.batch == inputs.batch || circuit.inputCount == 0 else {
                throw SimulatorError.invalidInput("initial state has \(s.qubits) qubits × batch \(s.batch); the circuit needs \(circuit.qubits) qubits and the inputs have batch \(inputs.batch)")
            }
            try StateBatch.checkFits(qubits: s.qubits, batch: s.batch, copies: copies)
            return s
        }
        try StateBatch.checkFits(qubits: circuit.qubits, batch: inputs.batch, copies: copies)
        var s = try StateBatch(qubits: circuit.qubits, batch: inputs.batch)
        for b in 0..<s.batch { s.re[b] = 0 }  // the pipeline prepares each column
        return s
    }

    private func makePlan(_ circuit: Circuit, observables: [Observable], trainable: [Double], observableParameters: [Double],
                          inputs: Inputs, upstream: Upstream?, initialState: StateBatch?) throws -> RunPlan {
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
        return RunPlan(qubits: circuit.qubits, batch: batch, preparation: circuit.preparation,
                       ops: compile(circuit, batch: batch, trainable: trainable, inputs: inputs.values, features: inputs.features),
                       observables: observables, matrices: observables.map { $0.matrix(observableParameters) },
                       trainableCount: circuit.trainableCount, observableParameterCount: observableParameters.count,
                       inputs: inputs.values, features: inputs.features, upstream: upstream)
    }

    private func checkPreparation(_ prep: StatePreparation?, row: ArraySlice<Double>, item b: Int) throws {
        switch prep {
        case .amplitude(let feats, _, let pad)?:
            let start = row.startIndex
            let v = feats.map { row[start + $0] }
            let norm2 = v.reduce(0) { $0 + $1 * $1 } + Double((1 << prep!.wires.count) - feats.count) * pad * pad
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

    /// Runs the plan, choosing a threading strategy: column ranges for batches, split gate loops
    /// for single large states, serial for small work.
    /// `lam` is nil for a forward run; for a backward sweep it is zeroed here and afterwards holds λ = ∂E/∂ψ̄.
    private func execute(_ plan: RunPlan, phi: inout StateBatch, lam: inout StateBatch?, prepared: Bool) -> RunResult {
        let b = plan.batch, work = plan.dimension * b
        let chunks = threads > 1 && b >= 2 * threads && work * max(plan.ops.count, 1) >= 1 << 16 ? threads : 1
        let parts = chunks == 1 && threads > 1 && work >= 1 << 15 ? threads : 1
        var lamRe = lam == nil ? [] : [Double](repeating: 0, count: phi.re.count)
        var lamIm = lamRe
        var total = RunResult(plan)
        phi.re.withUnsafeMutableBufferPointer { pr in
        phi.im.withUnsafeMutableBufferPointer { pi in
        lamRe.withUnsafeMutableBufferPointer { lr in
        lamIm.withUnsafeMutableBufferPointer { li in
            let phiP = StatePointers(re: pr.baseAddress!, im: pi.baseAddress!)
            // A forward run never touches λ; it gets φ's pointers so the pipeline needs no optional.
            let lamP = lr.isEmpty ? phiP : StatePointers(re: lr.baseAddress!, im: li.baseAddress!)
            let results = UnsafeMutablePointer<RunResult>.allocate(capacity: chunks)
            defer { results.deinitialize(count: chunks); results.deallocate() }
            parallelFor(chunks) { k in
                let cols = (b * k / chunks)..<(b * (k + 1) / chunks)
                let layout = RunLayout(dimension: plan.dimension, batch: b, columns: cols, part: 0, parts: 1)
                (results + k).initialize(to: Pipeline(plan: plan, phi: phiP, lam: lamP, layout: layout, parts: parts).run(prepared: prepared))
            }
            for k in 0..<chunks { total.add(results[k]) }
        } } } }
        if lam != nil { lam!.re = lamRe; lam!.im = lamIm }
        return total
    }
}
