import QDSimulator

/// A run-time value of the `.qd` language.
public indirect enum Value {
    case none
    case bool(Bool)
    case int(Int)
    case number(Double)
    case complex(Complex)
    case string(String)
    case list([Value])
    /// The integers `lower..<upper`.
    case range(lower: Int, upper: Int)
    case tensor(NDArray)
    /// Named fields, in order (results such as `evaluate(...)` and sample counts).
    case record([(String, Value)])
    case function(Callable)
    case circuit(CircuitValue)
    /// A gate, template or sub-circuit waiting to be applied (`rx(0.3)`, `rx(0.3) on 0`).
    case operation(Operation)
    case observable(ObservableValue)
    /// `hermitian(M)` or `trainable_hermitian()` before `on` gives it wires.
    case observableSpec(ObservableSpec)
    /// A circuit's trainable parameter or input, or an element or slice of one.
    case symbol(CircuitSymbol)
    /// How `param` declarations fill their values (`zeros`, `xavier`, `normal(0, 0.1)`).
    case initializer(Initializer)
    case state(StateBatch)
    /// A dataset, model, distiller or other engine object.
    case object(HostObject)

    /// The type name used in messages ("expected a number, got a circuit").
    public var typeName: String {
        switch self {
        case .none: return "nil"
        case .bool: return "bool"
        case .int: return "int"
        case .number: return "float"
        case .complex: return "complex"
        case .string: return "string"
        case .list: return "list"
        case .range: return "range"
        case .tensor: return "tensor"
        case .record: return "record"
        case .function: return "function"
        case .circuit: return "circuit"
        case .operation(let o): return o.typeName
        case .observable: return "observable"
        case .observableSpec: return "observable (without wires)"
        case .symbol(let s): return s.kind == .trainable ? "parameter" : "input"
        case .initializer: return "initialiser"
        case .state: return "state"
        case .object(let o): return o.typeName
        }
    }
}

/// A dense n-dimensional array of Float64, row-major: the language's tensor.
public struct NDArray: Equatable, Sendable {
    /// The shape; `[]` is a scalar.
    public var shape: [Int]
    /// The values, row-major.
    public var data: [Double]

    /// An array after checking that `data` has `shape`'s element count.
    public init(shape: [Int], data: [Double]) {
        precondition(shape.reduce(1, *) == data.count, "NDArray shape \(shape) does not match \(data.count) values")
        self.shape = shape
        self.data = data
    }

    /// A 1-D array.
    public init(_ vector: [Double]) { self.init(shape: [vector.count], data: vector) }

    /// Number of elements.
    public var count: Int { data.count }

    /// The rows of a 2-D array (or one row for a 1-D array).
    public var rows: [[Double]] {
        guard shape.count >= 2 else { return [data] }
        let width = shape.dropFirst().reduce(1, *)
        return stride(from: 0, to: data.count, by: max(width, 1)).map { Array(data[$0..<($0 + width)]) }
    }
}

/// An engine object the language can display and reach into with `.member`.
public protocol HostObject: AnyObject {
    /// Its type name in messages and `:vars`.
    var typeName: String { get }
    /// The notebook display: several lines allowed.
    func display() -> String
    /// Its JSON form for `qd --json`.
    func json() -> JSONValue
    /// The member `name` (a property, or a bound method as a function), or nil when there is none.
    func member(_ name: String, interpreter: Interpreter) throws -> Value?
    /// Names for tab completion and "did you mean".
    var memberNames: [String] { get }
}
