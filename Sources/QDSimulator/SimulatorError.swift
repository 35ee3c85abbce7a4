/// Every error the simulator reports. Each message names the offending value and the valid range,
/// so a caller (the language, the REPL) can show it to the user as is. Nothing in the simulator traps
/// on bad input: it validates at the boundary and throws one of these.
public enum SimulatorError: Error, Equatable, CustomStringConvertible {
    /// A wire index outside `0..<qubits`, or a wire used twice by one operation.
    case invalidWire(String)
    /// A qubit count outside what memory allows.
    case tooManyQubits(String)
    /// A parameter vector of the wrong length, or a parameter slot out of range.
    case parameterCount(String)
    /// A non-square, non-unitary, non-Hermitian or non-finite matrix.
    case invalidMatrix(String)
    /// An input vector that cannot be embedded (zero, NaN, too long, wrong batch shape).
    case invalidInput(String)
    /// A circuit that cannot be built or run as asked.
    case invalidCircuit(String)

    public var description: String {
        switch self {
        case .invalidWire(let m), .tooManyQubits(let m), .parameterCount(let m),
             .invalidMatrix(let m), .invalidInput(let m), .invalidCircuit(let m):
            return m
        }
    }
}
