/// Errors from tensor operations. Each message names the shapes or values involved and what
/// would be valid; no tensor operation traps on bad input.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// Shapes that do not fit the operation (broadcasting, matmul, convolution, reshape, ...).
    case shape(String)
    /// An argument outside its valid range (an axis, an index, a stride, ...).
    case argument(String)

    public var description: String {
        switch self {
        case .shape(let m), .argument(let m): return m
        }
    }
}
