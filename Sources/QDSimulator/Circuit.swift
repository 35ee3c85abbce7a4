/// A quantum circuit as a value: an optional state preparation followed by an ordered list of
/// ``QuantumOperation``s on `qubits` wires. Wire 0 is the most significant bit of an amplitude index.
///
/// Parameters are slots (``Parameter``): trainable slots index one shared vector θ, input slots
/// index each batch item's feature vector x. Circuits compose like values:
///
///     var c = Circuit(qubits: 2)
///     try c.h(0); try c.cnot(0, 1)
///     let d = try c.appending(c.inverse())   // identity
///
/// Every mutating builder validates its wires and parameter slots and throws a
/// ``SimulatorError`` naming the valid range; nothing traps.
public struct Circuit: Equatable, Sendable {
    /// Largest supported qubit count; memory is checked separately when a state is allocated.
    public static let maxQubits = 34

    /// Number of wires.
    public let qubits: Int
    /// The state preparation applied to |0…0⟩, if any.
    public private(set) var preparation: StatePreparation?
    /// The gates, in application order.
    public private(set) var operations: [QuantumOperation] = []
    /// Length of the trainable vector θ this circuit reads (one past the largest slot used).
    public private(set) var trainableCount = 0
    /// Length of the per-item input vector x this circuit reads (one past the largest feature used).
    public private(set) var inputCount = 0

    /// An empty circuit on `qubits` wires (1 ... ``maxQubits``).
    public init(qubits: Int) throws {
        guard (1...Circuit.maxQubits).contains(qubits) else {
            throw SimulatorError.tooManyQubits("qubit count \(qubits) is out of range: a circuit has 1...\(Circuit.maxQubits) qubits")
        }
        self.qubits = qubits
    }

    // MARK: validation

    /// Throws unless every wire is in 0..<qubits and none repeats; the message names `what`.
    public func checkWires(_ wires: [Int], what: String) throws {
        for w in wires where !(0..<qubits).contains(w) {
            throw SimulatorError.invalidWire("\(what): wire \(w) is out of range; valid wires are 0..<\(qubits)")
        }
        if Set(wires).count != wires.count {
            throw SimulatorError.invalidWire("\(what): wires \(wires) repeat a wire; each wire may appear once")
        }
    }

    /// Throws unless a circuit can grow to hold every wire in `wires`: each below ``maxQubits``
    /// (negative wires are left to ``checkWires(_:what:)``); the message names `what`.
    public static func checkGrowable(to wires: [Int], what: String) throws {
        if let far = wires.first(where: { $0 >= maxQubits }) {
            throw SimulatorError.invalidWire("\(what): wire \(far) is out of range; a circuit has at most \(maxQubits) wires, 0..<\(maxQubits)")
        }
    }

    // MARK: building

    /// Appends one operation after checking its wires and parameters.
    public mutating func append(_ op: QuantumOperation) throws {
        let name = op.gate.label
        guard op.wires.count == op.gate.wireCount else {
            throw SimulatorError.invalidWire("\(name) acts on \(op.gate.wireCount) wire(s); got \(op.wires.count): \(op.wires)")
        }
        try checkWires(op.allWires, what: name)
        guard op.parameters.count == op.gate.parameterCount else {
            throw SimulatorError.parameterCount("\(name) takes \(op.gate.parameterCount) parameter(s); got \(op.parameters.count)")
        }
        for p in op.parameters {
            switch p {
            case .constant(let v) where !v.isFinite:
                throw SimulatorError.parameterCount("\(name): parameter \(v) is not finite")
            case .trainable(let k) where k < 0, .input(let k) where k < 0:
                throw SimulatorError.parameterCount("\(name): parameter slot \(k) is negative; slots are 0, 1, 2, ...")
            case .trainable(let k): trainableCount = max(trainableCount, k + 1)
            case .input(let k): inputCount = max(inputCount, k + 1)
            default: break
            }
        }
        operations.append(op)
    }

    /// Applies `gate` to `wires` (with optional controls and adjoint).
    public mutating func apply(_ gate: Gate, _ wires: [Int], controls: [Int] = [], parameters: [Parameter] = [], adjoint: Bool = false) throws {
        try append(QuantumOperation(gate, wires: wires, controls: controls, parameters: parameters, adjoint: adjoint))
    }

    /// Sets the state preparation; it must come before any operation.
    public mutating func prepare(_ prep: StatePreparation) throws {
        guard preparation == nil, operations.isEmpty else {
            throw SimulatorError.invalidCircuit("a state preparation (embedding) must be the first thing in a circuit, and there can be only one")
        }
        try checkWires(prep.wires, what: prep.label)
        guard !prep.wires.isEmpty, prep.features.lowerBound >= 0, !prep.features.isEmpty else {
            throw SimulatorError.invalidCircuit("\(prep.label) needs at least one wire and one feature")
        }
        if case .amplitude(let f, let w, let pad) = prep {
            guard f.count <= 1 << w.count else {
                throw SimulatorError.invalidInput("amplitude embedding: \(f.count) features do not fit in 2^\(w.count) = \(1 << w.count) amplitudes of wires \(w)")
            }
            guard pad.isFinite else { throw SimulatorError.invalidInput("amplitude embedding: pad value \(pad) is not finite") }
        }
        if case .basis(let f, let w) = prep, f.count != w.count {
            throw SimulatorError.invalidInput("basis embedding: \(f.count) features for \(w.count) wires; need one bit per wire")
        }
        preparation = prep
        inputCount = max(inputCount, prep.features.upperBound)
    }

    /// Declares that the circuit reads at least `count` trainable slots (for unused trailing slots).
    public mutating func reserveTrainable(_ count: Int) { trainableCount = max(trainableCount, count) }

    // MARK: composition

    /// This circuit followed by `other` (same qubit count; `other` must not prepare a state).
    public func appending(_ other: Circuit) throws -> Circuit {
        guard other.qubits == qubits else {
            throw SimulatorError.invalidCircuit("cannot append a \(other.qubits)-qubit circuit to a \(qubits)-qubit one")
        }
        var c = self
        if let p = other.preparation {
            if !operations.isEmpty || preparation != nil {
                throw SimulatorError.invalidCircuit("cannot append a circuit with a state preparation after other operations")
            }
            try c.prepare(p)
        }
        for op in other.operations { try c.append(op) }
        c.reserveTrainable(other.trainableCount)
        return c
    }

    /// This circuit repeated `times` times (≥ 0).
    public func repeated(_ times: Int) throws -> Circuit {
        guard times >= 0 else { throw SimulatorError.invalidCircuit("repeat count \(times) must be 0 or more") }
        guard preparation == nil || times <= 1 else {
            throw SimulatorError.invalidCircuit("a circuit with a state preparation cannot be repeated")
        }
        var c = try Circuit(qubits: qubits)
        for _ in 0..<times { c = try c.appending(self) }
        c.reserveTrainable(trainableCount)
        return c
    }

    /// The inverse U†: operations reversed, each replaced by its adjoint.
    public func inverse() throws -> Circuit {
        guard preparation == nil else {
            throw SimulatorError.invalidCircuit("a circuit with a state preparation (embedding) has no inverse")
        }
        var c = self
        c.operations = operations.reversed().map { var o = $0; o.isAdjoint.toggle(); return o }
        return c
    }

    /// The circuit controlled on `controls`: every operation gains those control wires.
    /// The result has `max(qubits, controls.max()+1)` wires.
    public func controlled(by controls: [Int]) throws -> Circuit {
        guard preparation == nil else {
            throw SimulatorError.invalidCircuit("a circuit with a state preparation (embedding) cannot be controlled")
        }
        try Circuit.checkGrowable(to: controls, what: "controls")
        let n = max(qubits, (controls.max() ?? -1) + 1)
        var c = try Circuit(qubits: n)
        try c.checkWires(controls, what: "controls")
        for op in operations {
            if let clash = op.allWires.first(where: controls.contains) {
                throw SimulatorError.invalidWire("control wire \(clash) is already used by \(op.gate.label) on \(op.allWires)")
            }
            var o = op
            o.controls = controls + op.controls
            try c.append(o)
        }
        c.reserveTrainable(trainableCount)
        return c
    }
}
