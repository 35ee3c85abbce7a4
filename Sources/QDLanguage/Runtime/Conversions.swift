import QDSimulator

extension Value {
    /// The value as an integer (an int, or a float with no fractional part).
    public var asInt: Int? {
        switch self {
        case .int(let v): return v
        case .number(let v) where v.rounded() == v && abs(v) < 9e18: return Int(v)
        default: return nil
        }
    }

    /// The value as a real number.
    public var asDouble: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .number(let v): return v
        case .bool(let b): return b ? 1 : 0
        case .complex(let c) where c.im == 0: return c.re
        case .tensor(let t) where t.shape.isEmpty: return t.data[0]
        default: return nil
        }
    }

    /// The value as a complex number.
    public var asComplex: Complex? {
        if case .complex(let c) = self { return c }
        return asDouble.map { Complex($0) }
    }

    /// A list, range or tensor as an n-dimensional array of reals; nil for ragged or non-numeric lists.
    /// Throws for a range longer than ``maxExpandedRange``.
    public var asArray: NDArray? {
        get throws {
            switch self {
            case .tensor(let t): return t
            case .range(let lo, let hi): return NDArray(try Value.expanded(lo, hi).map(Double.init))
            case .list(let items):
                if items.isEmpty { return NDArray(shape: [0], data: []) }
                if let scalars = items.map(\.asDouble) as [Double?]?, scalars.allSatisfy({ $0 != nil }),
                   !items.contains(where: { if case .list = $0 { return true }; if case .tensor = $0 { return true }; return false }) {
                    return NDArray(scalars.map { $0! })
                }
                let parts = try items.map { try $0.asArray }
                guard let first = parts.first ?? nil, parts.allSatisfy({ $0?.shape == first.shape }) else { return nil }
                return NDArray(shape: [items.count] + first.shape, data: parts.flatMap { $0!.data })
            default:
                return asDouble.map { NDArray(shape: [], data: [$0]) }
            }
        }
    }

    /// A list or range of integers (wires, shapes). Throws for a range longer than ``maxExpandedRange``.
    public var asIntList: [Int]? {
        get throws {
            switch self {
            case .range(let lo, let hi): return try Value.expanded(lo, hi)
            case .list(let items):
                let v = items.map(\.asInt)
                return v.contains(where: { $0 == nil }) ? nil : v.map { $0! }
            case .tensor(let t) where t.shape.count == 1:
                let v = t.data.map { Value.number($0).asInt }
                return v.contains(where: { $0 == nil }) ? nil : v.map { $0! }
            default: return asInt.map { [$0] }
            }
        }
    }

    /// The most integers a range expands to where a list is needed (wires, a tensor), as many as the
    /// largest tensor `zeros` makes by default. Longer ranges still drive `for` loops, which never
    /// expand them.
    public static let maxExpandedRange = 100_000_000

    /// How many integers lo ..< hi holds (0 when hi ≤ lo), or nil when that is more than `Int.max`.
    static func rangeCount(_ lo: Int, _ hi: Int) -> Int? {
        guard hi > lo else { return 0 }
        let count = hi.subtractingReportingOverflow(lo)
        return count.overflow ? nil : count.partialValue
    }

    /// The integers lo ..< hi (none when hi ≤ lo), or an error naming the limit when there are more
    /// than ``maxExpandedRange``.
    static func expanded(_ lo: Int, _ hi: Int) throws -> [Int] {
        guard let count = rangeCount(lo, hi), count <= maxExpandedRange else {
            throw RuntimeError("the range \(lo)..<\(hi) is too long to expand into a list: at most \(maxExpandedRange) integers")
        }
        return Array(lo..<max(lo, hi))
    }

    /// A square matrix of complex entries from nested lists (`[[1, 0], [0, -1]]`) or a 2-D tensor.
    public var asComplexMatrix: ComplexMatrix? {
        if case .tensor(let t) = self, t.shape.count == 2, t.shape[0] == t.shape[1] {
            return ComplexMatrix(dimension: t.shape[0], entries: t.data.map { Complex($0) })
        }
        guard case .list(let rows) = self, !rows.isEmpty else { return nil }
        var entries: [Complex] = []
        for r in rows {
            guard case .list(let cells) = r, cells.count == rows.count else { return nil }
            for c in cells {
                guard let z = c.asComplex else { return nil }
                entries.append(z)
            }
        }
        return ComplexMatrix(dimension: rows.count, entries: entries)
    }

    /// A single number (an int, float, bool, real complex or 0-d tensor: whatever ``asDouble``
    /// reads), as opposed to a list or tensor with elements: element-wise builtins map those and
    /// compute a number for this.
    public var isScalarNumber: Bool { asDouble != nil }

    /// Truthiness for `if` and `and`/`or`: only booleans are allowed.
    public var asBool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
}

extension Arguments {
    /// A required integer within `range`.
    public mutating func int(_ name: String, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        let v = try required(name)
        return try checkInt(name, v, range)
    }

    /// The labelled integer option `name` within `range`, or `defaultValue`. (Arguments with
    /// defaults are options: given by label, so they never swallow a positional argument; with
    /// `positional`, the next positional argument may supply it too.)
    public mutating func int(_ name: String, default defaultValue: Int, in range: ClosedRange<Int> = Int.min...Int.max,
                             positional: Bool = false) throws -> Int {
        guard let v = positional ? optional(name) : option(name), !v.isNone else { return defaultValue }
        return try checkInt(name, v, range)
    }

    /// The labelled integer option `name` within `range`, or nil when it is absent or nil.
    public mutating func optionalInt(_ name: String, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int? {
        guard let v = option(name), !v.isNone else { return nil }
        return try checkInt(name, v, range)
    }

    private func checkInt(_ name: String, _ v: Value, _ range: ClosedRange<Int>) throws -> Int {
        guard let i = v.asInt else { throw typeError(name, expected: "an integer", got: v) }
        guard range.contains(i) else {
            let shown = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "in \(range.lowerBound)...\(range.upperBound)"
            throw RuntimeError("\(function): argument '\(name)' is \(i); it must be \(shown)")
        }
        return i
    }

    /// A required finite real.
    public mutating func double(_ name: String) throws -> Double {
        let v = try required(name)
        return try checkDouble(name, v)
    }

    /// The labelled real option `name` (finite), or `defaultValue`; with `positional`, the next
    /// positional argument may supply it too.
    public mutating func double(_ name: String, default defaultValue: Double, positional: Bool = false) throws -> Double {
        guard let v = positional ? optional(name) : option(name), !v.isNone else { return defaultValue }
        return try checkDouble(name, v)
    }

    /// The labelled real option `name`, finite and at least `lowerBound` (with `strictly`, above
    /// it), or `defaultValue`: learning rates, momenta, decays, standard deviations. With
    /// `positional`, the next positional argument may supply it too.
    public mutating func double(_ name: String, default defaultValue: Double, atLeast lowerBound: Double, strictly: Bool = false,
                                positional: Bool = false) throws -> Double {
        let d = try double(name, default: defaultValue, positional: positional)
        guard strictly ? d > lowerBound : d >= lowerBound else {
            throw RuntimeError("\(function): argument '\(name)' is \(formatNumber(d)); it must be \(strictly ? ">" : "≥") \(formatNumber(lowerBound))")
        }
        return d
    }

    private func checkDouble(_ name: String, _ v: Value) throws -> Double {
        guard let d = v.asDouble else { throw typeError(name, expected: "a number", got: v) }
        guard d.isFinite else { throw RuntimeError("\(function): argument '\(name)' is \(formatNumber(d)); it must be finite") }
        return d
    }

    /// The labelled option `name`, one of `choices`, or `defaultValue`.
    public mutating func choice(_ name: String, _ choices: [String], default defaultValue: String) throws -> String {
        guard let v = option(name), !v.isNone else { return defaultValue }
        guard case .string(let s) = v else { throw typeError(name, expected: "a string", got: v) }
        guard choices.contains(s) else {
            throw RuntimeError("\(function): argument '\(name)' is \"\(s)\"; valid values are \(choices.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        return s
    }

    /// The labelled boolean option `name`, or `defaultValue`.
    public mutating func bool(_ name: String, default defaultValue: Bool) throws -> Bool {
        guard let v = option(name), !v.isNone else { return defaultValue }
        guard let b = v.asBool else { throw typeError(name, expected: "true or false", got: v) }
        return b
    }

    /// A required string.
    public mutating func string(_ name: String) throws -> String {
        let v = try required(name)
        guard case .string(let s) = v else { throw typeError(name, expected: "a string", got: v) }
        return s
    }

    /// The labelled string option `name`, or nil when it is absent or nil.
    public mutating func optionalString(_ name: String) throws -> String? {
        guard let v = option(name), !v.isNone else { return nil }
        guard case .string(let s) = v else { throw typeError(name, expected: "a string", got: v) }
        return s
    }

    /// An optional seed (a non-negative integer); nil draws one from the run's seed.
    public mutating func seed(_ name: String = "seed") throws -> UInt64 {
        guard let v = option(name), !v.isNone else { return interpreter.nextSeed() }
        guard let i = v.asInt, i >= 0 else { throw typeError(name, expected: "a non-negative integer", got: v) }
        return UInt64(i)
    }

    /// A required circuit.
    public mutating func circuit(_ name: String) throws -> CircuitValue {
        let v = try required(name)
        guard case .circuit(let c) = v else { throw typeError(name, expected: "a circuit", got: v) }
        return c
    }
}

extension Value {
    /// Whether the value is `nil`.
    public var isNone: Bool {
        if case .none = self { return true }
        return false
    }
}
