import QDSimulator

/// A named block of a circuit's trainable parameters or per-sample inputs: `param w[3, 6, 3]`
/// holds slots `offset ..< offset + 54`.
public struct ParameterBlock: Equatable, Sendable {
    /// The declared name.
    public var name: String
    /// The declared shape (`[]` for one number).
    public var shape: [Int]
    /// The first slot.
    public var offset: Int
    /// Identity: blocks with the same identity are the same parameters (shared when composed).
    public var identity: Int

    /// Number of slots.
    public var count: Int { shape.reduce(1, *) }
    /// The slot range.
    public var slots: Range<Int> { offset..<(offset + count) }
}

/// A circuit as a language value: the simulator's ``Circuit`` plus the names, shapes and initial
/// values of its trainable parameters and the names and shapes of its inputs.
public struct CircuitValue {
    /// The gates.
    public var circuit: Circuit
    /// The trainable parameter blocks, in slot order.
    public var parameters: [ParameterBlock]
    /// Current values of every trainable slot (the initialisers' draws, until replaced).
    public var values: [Double]
    /// The input blocks (per-sample features), in slot order.
    public var inputs: [ParameterBlock]
}

/// A circuit parameter or input, a slice of one, or one element: what `w`, `w[0]` and `w[0, 1, 2]`
/// evaluate to inside a circuit block.
public struct CircuitSymbol: Equatable {
    /// Trainable parameter or per-sample input.
    public enum Kind: Equatable { case trainable, input }
    /// Which.
    public var kind: Kind
    /// The declaring block's name.
    public var name: String
    /// The circuit being built that owns it.
    public var builder: Int
    /// The remaining shape (`[]` for one element).
    public var shape: [Int]
    /// The first slot.
    public var offset: Int

    /// The simulator parameter for an element.
    public var parameter: Parameter { kind == .trainable ? .trainable(offset) : .input(offset) }
    /// Number of slots.
    public var count: Int { shape.reduce(1, *) }
}

/// A gate, template or sub-circuit waiting to be applied, possibly already given wires.
public struct Operation {
    /// What it applies.
    public enum Kind {
        /// A gate from the gate table with its parameter values.
        case gate(GateSpec, [Value])
        /// `unitary(M)`: an explicit matrix.
        case unitary(ComplexMatrix)
        /// An embedding or layer template with its arguments.
        case template(String, [Value], [String: Value])
        /// A circuit used as a block.
        case circuit(CircuitValue)
    }

    /// What it applies.
    public var kind: Kind
    /// Extra control wires taken from the front of the operands (`ctrl @`).
    public var controls = 0
    /// Whether the adjoint is applied (`inv @`).
    public var adjoint = false
    /// The wires from `on`, when placed.
    public var wires: [Int]?

    /// "gate", "template" or "circuit block".
    public var typeName: String {
        switch kind {
        case .gate, .unitary: return "gate"
        case .template: return "template"
        case .circuit: return "circuit block"
        }
    }
}

/// One entry of the gate table: `cx` is X with one control, `crz` is RZ with one control.
public struct GateSpec: Sendable {
    /// The language name (`cx`).
    public var name: String
    /// The simulator gate.
    public var gate: Gate
    /// Built-in control wires (the first operands).
    public var controls: Int
    /// One-line description for `:help`.
    public var doc: String

    /// Parameters the gate takes.
    public var parameterCount: Int { gate.parameterCount }
    /// Operands the gate takes (controls + targets).
    public var operandCount: Int { controls + gate.wireCount }
}

/// One or more observables with the trainable values their Hermitian readouts use.
public struct ObservableValue {
    /// The observables; trainable offsets index ``parameters``.
    public var items: [Observable]
    /// Values of the trainable observable parameters.
    public var parameters: [Double]
    /// Whether ``parameters`` are trained by `grad(..., wrt: "observables")` users (documentation only).
    public var trainable: Bool

    /// One fixed observable.
    public init(_ o: Observable) {
        items = [o]
        parameters = []
        trainable = false
    }

    /// Several, with parameters.
    public init(items: [Observable], parameters: [Double], trainable: Bool) {
        self.items = items
        self.parameters = parameters
        self.trainable = trainable
    }

    /// The concatenation of several observable values, shifting trainable offsets.
    public static func concatenate(_ parts: [ObservableValue]) -> ObservableValue {
        var items: [Observable] = []
        var params: [Double] = []
        for p in parts {
            let shift = params.count
            items += p.items.map { $0.shiftingParameters(by: shift) }
            params += p.parameters
        }
        return ObservableValue(items: items, parameters: params, trainable: parts.contains { $0.trainable })
    }
}

extension Observable {
    /// The same observable with its trainable offsets moved by `shift`.
    func shiftingParameters(by shift: Int) -> Observable {
        if case .trainableHermitian(let w, let o) = self { return .trainableHermitian(wires: w, offset: o + shift) }
        return self
    }
}

/// An observable awaiting wires: `hermitian(M)` or `trainable_hermitian(...)`.
public enum ObservableSpec {
    /// A fixed Hermitian matrix.
    case hermitian(ComplexMatrix)
    /// A trainable Hermitian H = (A + A†)/2 whose 8·4^(k-1) reals start N(mean, std) from `seed`.
    case trainableHermitian(mean: Double, std: Double, seed: UInt64?)
}

/// How a `param` block gets its starting values.
public enum Initializer {
    case zeros
    /// Xavier (Glorot) normal with PyTorch's fan rule for the declared shape, gain 1.
    case xavier(seed: UInt64?)
    case normal(mean: Double, std: Double, seed: UInt64?)
    case uniform(lower: Double, upper: Double, seed: UInt64?)
}
