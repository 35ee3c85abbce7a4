/// Parameter-shift gradients: what hardware would run, and an independent check of the adjoint.
///
/// For a parameter whose generator has eigenvalues ±½ or {0, 1} (every uncontrolled gate here,
/// and controlled phase-type parameters) the two-term rule is exact:
///
///     ∂f/∂θ = [f(θ + π/2) − f(θ − π/2)] / 2
///
/// A controlled rotation adds the eigenvalue 0 (frequencies ½ and 1) and needs PennyLane's
/// four-term rule with c± = (√2 ± 1)/(4√2):
///
///     ∂f/∂θ = c₊[f(θ + π/2) − f(θ − π/2)] − c₋[f(θ + 3π/2) − f(θ − 3π/2)]
///
/// A slot used by several gates gets the sum over its occurrences (the chain rule).
extension Simulator {
    /// ∂(Σ_bo g_bo·E_bo)/∂θ for every trainable slot by parameter shift, with g the upstream
    /// gradient (B × O). Counts every shifted execution in ``counter``.
    public func parameterShiftGradient(_ circuit: Circuit, observables: [Observable], trainable: [Double],
                                       observableParameters: [Double] = [], inputs: Inputs = .empty(),
                                       upstream: [Double]) throws -> [Double] {
        let base = try expectations(circuit, observables: observables, trainable: trainable,
                                    observableParameters: observableParameters, inputs: inputs)
        guard upstream.count == base.values.count else {
            throw SimulatorError.invalidInput("upstream gradient has \(upstream.count) values; need \(base.values.count)")
        }
        var grad = [Double](repeating: 0, count: trainable.count)
        for (index, op) in circuit.operations.enumerated() {
            for (k, p) in op.parameters.enumerated() {
                guard case .trainable(let slot) = p else { continue }
                let rule = Simulator.shiftRule(kind: op.gate.parameterKinds[k], controlled: !op.controls.isEmpty)
                for (coefficient, shift) in rule {
                    var shifted = circuit
                    try shifted.replaceParameter(operation: index, parameter: k, with: .constant(trainable[slot] + shift))
                    let e = try expectations(shifted, observables: observables, trainable: trainable,
                                             observableParameters: observableParameters, inputs: inputs)
                    counter.record(forward: -e.batch, shifted: e.batch)
                    grad[slot] += coefficient * zip(upstream, e.values).reduce(0) { $0 + $1.0 * $1.1 }
                }
            }
        }
        return grad
    }

    /// (coefficient, shift) pairs of the exact shift rule for one parameter.
    static func shiftRule(kind: Gate.ParameterKind, controlled: Bool) -> [(Double, Double)] {
        if kind == .rotation && controlled {
            let r2 = 2.0.squareRoot()
            let cp = (r2 + 1) / (4 * r2), cm = (r2 - 1) / (4 * r2)
            return [(cp, .pi / 2), (-cp, -.pi / 2), (-cm, 3 * .pi / 2), (cm, -3 * .pi / 2)]
        }
        return [(0.5, .pi / 2), (-0.5, -.pi / 2)]
    }
}

extension Circuit {
    /// Replaces parameter `k` of operation `index` (used by shift rules and tests).
    public mutating func replaceParameter(operation index: Int, parameter k: Int, with p: Parameter) throws {
        guard operations.indices.contains(index), operations[index].parameters.indices.contains(k) else {
            throw SimulatorError.parameterCount("no parameter \(k) of operation \(index); the circuit has \(operations.count) operations")
        }
        var ops = operations
        ops[index].parameters[k] = p
        var c = try Circuit(qubits: qubits)
        if let prep = preparation { try c.prepare(prep) }
        for op in ops { try c.append(op) }
        c.reserveTrainable(trainableCount)
        self = c
    }
}
