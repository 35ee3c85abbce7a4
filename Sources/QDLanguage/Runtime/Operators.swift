import Foundation
import QDSimulator

/// The binary operators on values: integer, real and complex arithmetic; element-wise tensor
/// arithmetic with NumPy broadcasting; string and list concatenation; Pauli-sum algebra on
/// observables; and `+` on circuits (composition).
enum Operators {
    static func binary(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Value {
        switch op {
        case .equal: return .bool(try equal(a, b))
        case .notEqual: return .bool(!(try equal(a, b)))
        case .less, .lessEqual, .greater, .greaterEqual: return .bool(try compare(op, a, b))
        default: break
        }
        switch (a, b) {
        case (.int(let x), .int(let y)): return try integer(op, x, y)
        case (.string(let x), .string(let y)) where op == .add: return .string(x + y)
        case (.list(let x), .list(let y)) where op == .add: return .list(x + y)
        case (.circuit(let x), .circuit(let y)) where op == .add: return .circuit(try CircuitBuilder.compose(x, y))
        case (.observable, _), (_, .observable): return .observable(try ObservableBuilder.arithmetic(op, a, b))
        default: break
        }
        if let x = a.asDouble, let y = b.asDouble, !isTensorLike(a), !isTensorLike(b) { return .number(try real(op, x, y)) }
        if let x = a.asComplex, let y = b.asComplex, !isTensorLike(a), !isTensorLike(b) { return .complex(try complex(op, x, y)) }
        if isTensorLike(a) || isTensorLike(b), let x = try a.asArray, let y = try b.asArray {
            return .tensor(try broadcast(x, y) { try real(op, $0, $1) })
        }
        throw RuntimeError("'\(op.rawValue)' is not defined for \(a.typeName) and \(b.typeName)")
    }

    private static func isTensorLike(_ v: Value) -> Bool {
        switch v {
        case .tensor(let t): return !t.shape.isEmpty
        case .list, .range: return true
        default: return false
        }
    }

    private static func integer(_ op: BinaryOperator, _ x: Int, _ y: Int) throws -> Value {
        func checked(_ r: (partialValue: Int, overflow: Bool)) throws -> Value {
            if r.overflow { throw RuntimeError("integer overflow in \(x) \(op.rawValue) \(y); integers are 64-bit") }
            return .int(r.partialValue)
        }
        switch op {
        case .add: return try checked(x.addingReportingOverflow(y))
        case .subtract: return try checked(x.subtractingReportingOverflow(y))
        case .multiply: return try checked(x.multipliedReportingOverflow(by: y))
        case .divide: return .number(try real(.divide, Double(x), Double(y)))
        case .remainder:
            guard y != 0 else { throw RuntimeError("remainder by zero: \(x) % 0") }
            return .int(y == -1 ? 0 : x % y)  // Int.min % -1 would trap; every x % -1 is 0
        case .power:
            guard y >= 0 else { return .number(pow(Double(x), Double(y))) }
            var r = 1
            for _ in 0..<min(y, 64) {
                let m = r.multipliedReportingOverflow(by: x)
                if m.overflow { return .number(pow(Double(x), Double(y))) }
                r = m.partialValue
            }
            return y > 64 && abs(x) > 1 ? .number(pow(Double(x), Double(y))) : .int(r)
        default: throw RuntimeError("'\(op.rawValue)' is not an arithmetic operator")
        }
    }

    static func real(_ op: BinaryOperator, _ x: Double, _ y: Double) throws -> Double {
        switch op {
        case .add: return x + y
        case .subtract: return x - y
        case .multiply: return x * y
        case .divide:
            guard y != 0 else { throw RuntimeError("division by zero") }
            return x / y
        case .remainder:
            guard y != 0 else { throw RuntimeError("remainder by zero") }
            return x.truncatingRemainder(dividingBy: y)
        case .power: return pow(x, y)
        default: throw RuntimeError("'\(op.rawValue)' is not an arithmetic operator")
        }
    }

    private static func complex(_ op: BinaryOperator, _ x: Complex, _ y: Complex) throws -> Complex {
        switch op {
        case .add: return x + y
        case .subtract: return x - y
        case .multiply: return x * y
        case .divide:
            let d = y.magnitudeSquared
            guard d != 0 else { throw RuntimeError("division by zero") }
            return Complex((x.re * y.re + x.im * y.im) / d, (x.im * y.re - x.re * y.im) / d)
        case .power:
            guard y.im == 0, y.re.rounded() == y.re, abs(y.re) <= 1024 else {
                throw RuntimeError("a complex number can only be raised to an integer power in -1024...1024")
            }
            var r = Complex.one
            for _ in 0..<Int(abs(y.re)) { r = r * x }
            return y.re < 0 ? try complex(.divide, .one, r) : r
        default: throw RuntimeError("'\(op.rawValue)' is not defined for complex numbers")
        }
    }

    /// Element-wise `f` with NumPy broadcasting (trailing dimensions match or are 1).
    static func broadcast(_ a: NDArray, _ b: NDArray, _ f: (Double, Double) throws -> Double) throws -> NDArray {
        let n = max(a.shape.count, b.shape.count)
        let sa = [Int](repeating: 1, count: n - a.shape.count) + a.shape
        let sb = [Int](repeating: 1, count: n - b.shape.count) + b.shape
        var shape: [Int] = []
        for (x, y) in zip(sa, sb) {
            guard x == y || x == 1 || y == 1 else {
                throw RuntimeError("shapes \(a.shape) and \(b.shape) do not broadcast: dimensions must match or be 1")
            }
            shape.append(x == 1 ? y : x)  // a 1 stretches to the other size, even to 0
        }
        func strides(_ s: [Int]) -> [Int] {
            var st = [Int](repeating: 0, count: n)
            var acc = 1
            for k in stride(from: n - 1, through: 0, by: -1) { st[k] = s[k] == 1 ? 0 : acc; acc *= s[k] }
            return st
        }
        let ta = strides(sa), tb = strides(sb)
        let total = shape.reduce(1, *)
        var out = [Double](repeating: 0, count: total)
        var index = [Int](repeating: 0, count: n)
        for k in 0..<total {
            var ia = 0, ib = 0
            for d in 0..<n { ia += index[d] * ta[d]; ib += index[d] * tb[d] }
            out[k] = try f(a.data[ia], b.data[ib])
            var d = n - 1
            while d >= 0 { index[d] += 1; if index[d] < shape[d] { break }; index[d] = 0; d -= 1 }
        }
        return NDArray(shape: shape, data: out)
    }

    static func equal(_ a: Value, _ b: Value) throws -> Bool {
        switch (a, b) {
        case (.none, .none): return true
        case (.none, _), (_, .none): return false
        case (.string(let x), .string(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        default:
            if let x = a.asComplex, let y = b.asComplex { return x == y }
            if let x = try a.asArray, let y = try b.asArray { return x == y }
            throw RuntimeError("'==' cannot compare \(a.typeName) with \(b.typeName)")
        }
    }

    private static func compare(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Bool {
        if case .string(let x) = a, case .string(let y) = b {
            switch op {
            case .less: return x < y
            case .lessEqual: return x <= y
            case .greater: return x > y
            default: return x >= y
            }
        }
        guard let x = a.asDouble, let y = b.asDouble else {
            throw RuntimeError("'\(op.rawValue)' compares numbers or strings; got \(a.typeName) and \(b.typeName)")
        }
        switch op {
        case .less: return x < y
        case .lessEqual: return x <= y
        case .greater: return x > y
        default: return x >= y
        }
    }
}
