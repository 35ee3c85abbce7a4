import Foundation
import QDSimulator

/// Numbers, lists, tensors, printing and initialisers.
enum CoreBuiltins {
    static func register(_ r: inout Registry) {
        r.add("constant", "pi", .number(.pi), doc: "π = 3.14159…", example: "rx(pi / 2) 0")
        r.add("constant", "e", .number(M_E), doc: "Euler's number e = 2.71828…", example: "log(e)")
        r.add("constant", "im", .complex(.i), doc: "The imaginary unit (also a literal suffix: 2im).", example: "[[0, -im], [im, 0]]")
        r.add("constant", "xavier", .initializer(.xavier(seed: nil)),
              doc: "Initialiser: Xavier-normal with PyTorch's fan rule on the param's shape (seeded from the run's seed).",
              example: "param w[3, 6, 3] = xavier")

        for (name, f, doc) in elementwise {
            r.add("math", Builtin(name, "\(name)(x)", doc: doc + " Element-wise on tensors and lists.", example: "\(name)(0.5)") { args in
                let v = try args.required("x")
                if v.isScalarNumber, let d = v.asDouble { return .number(f(d)) }
                guard let a = try v.asArray else { throw args.typeError("x", expected: "a number or tensor", got: v) }
                return .tensor(NDArray(shape: a.shape, data: a.data.map(f)))
            })
        }
        r.add("math", Builtin("abs", "abs(x)", doc: "Absolute value (modulus for complex numbers); element-wise on tensors.", example: "abs(-2)") { args in
            let v = try args.required("x")
            if case .int(let i) = v {
                guard i != .min else { throw RuntimeError("integer overflow in abs(\(i)); integers are 64-bit") }
                return .int(abs(i))
            }
            if case .complex(let z) = v { return .number(z.magnitudeSquared.squareRoot()) }
            if v.isScalarNumber, let d = v.asDouble { return .number(abs(d)) }
            guard let a = try v.asArray else { throw args.typeError("x", expected: "a number or tensor", got: v) }
            return .tensor(NDArray(shape: a.shape, data: a.data.map(abs)))
        })
        r.add("math", Builtin("round", "round(x, digits: 0)", doc: "Rounds to `digits` decimal places (half away from zero); element-wise on tensors.", example: "round(pi, digits: 3)") { args in
            let v = try args.required("x")
            let digits = try args.int("digits", default: 0, in: 0...15)
            let scale = pow(10.0, Double(digits))
            let f = { (x: Double) in (x * scale).rounded() / scale }
            if v.isScalarNumber, let d = v.asDouble {
                // digits 0 gives an int when it fits in one (|x| < 9·10¹⁸), else the rounded float
                let r = f(d)
                return digits == 0 && abs(r) < 9e18 ? .int(Int(r)) : .number(r)
            }
            guard let a = try v.asArray else { throw args.typeError("x", expected: "a number or tensor", got: v) }
            return .tensor(NDArray(shape: a.shape, data: a.data.map(f)))
        })
        r.add("math", reduction("sum", doc: "Sum of all elements.") { $0.reduce(0, +) })
        r.add("math", reduction("mean", doc: "Mean of all elements.") { $0.reduce(0, +) / Double($0.count) })
        r.add("math", reduction("min", doc: "Smallest element (of a tensor/list, or of several numbers).") { $0.min()! })
        r.add("math", reduction("max", doc: "Largest element (of a tensor/list, or of several numbers).") { $0.max()! })
        r.add("math", Builtin("argmax", "argmax(x)", doc: "Index of the largest element of a 1-D tensor or list.", example: "argmax([0.1, 0.7, 0.2])") { args in
            let v = try args.required("x")
            guard let a = try v.asArray, a.shape.count == 1, !a.data.isEmpty else { throw args.typeError("x", expected: "a non-empty 1-D tensor or list", got: v) }
            return .int(a.data.indices.max { a.data[$0] < a.data[$1] }!)
        })
        r.add("math", Builtin("len", "len(x)", doc: "Length of a list, string, range, or the first dimension of a tensor.", example: "len([1, 2, 3])") { args in
            let v = try args.required("x")
            switch v {
            case .list(let items): return .int(items.count)
            case .string(let s): return .int(s.count)
            case .range(let lo, let hi):
                guard let count = Value.rangeCount(lo, hi) else {
                    throw RuntimeError("len: the range \(lo)..<\(hi) holds more integers than the largest integer, \(Int.max)")
                }
                return .int(count)
            case .tensor(let t): return .int(t.shape.first ?? 1)
            default: throw args.typeError("x", expected: "a list, string, range or tensor", got: v)
            }
        })
        r.add("math", Builtin("tensor", "tensor(values)", doc: "A Float64 tensor from nested lists (all rows the same length).", example: "tensor([[1, 2], [3, 4]])") { args in
            let v = try args.required("values")
            guard let a = try v.asArray else { throw args.typeError("values", expected: "a number or nested lists of numbers of equal lengths", got: v) }
            return .tensor(a)
        })
        for (name, fill) in [("zeros", 0.0), ("ones", 1.0)] {
            r.add("math", Builtin(name, "\(name)(d0, d1, ...)", doc: "A tensor of the given shape filled with \(Int(fill))s\(name == "zeros" ? "; as a param initialiser, zeros" : "").",
                                  example: "\(name)(2, 3)") { args in
                let dims = args.rest()
                guard !dims.isEmpty else { throw RuntimeError("\(name) needs at least one dimension: \(name)(2, 3)") }
                let limit = args.interpreter.options.maxTensorElements
                let shape = try dims.map { d -> Int in
                    guard let n = d.asInt, (0...limit).contains(n) else { throw RuntimeError("\(name): a dimension must be an integer in 0...\(limit)") }
                    return n
                }
                try args.interpreter.checkElementCount(shape, what: name)
                return .tensor(NDArray(shape: shape, data: [Double](repeating: fill, count: shape.reduce(1, *))))
            })
        }
        r.add("math", Builtin("normal", "normal(mean, std, seed: nil)", doc: "Initialiser for param blocks: N(mean, std²) draws.", example: "param w[4] = normal(0, 0.1)") { args in
            let mean = try args.double("mean", default: 0, positional: true)
            let std = try args.double("std", default: 1, atLeast: 0, positional: true)
            return .initializer(.normal(mean: mean, std: std, seed: try args.optionalSeed()))
        })
        r.add("math", Builtin("uniform", "uniform(lo, hi, seed: nil)", doc: "Initialiser for param blocks: uniform draws in [lo, hi).", example: "param w[4] = uniform(0, 2 * pi)") { args in
            let lo = try args.double("lo", default: 0, positional: true), hi = try args.double("hi", default: 1, positional: true)
            guard lo < hi else { throw RuntimeError("uniform: lo must be below hi; got \(formatNumber(lo)) and \(formatNumber(hi))") }
            return .initializer(.uniform(lower: lo, upper: hi, seed: try args.optionalSeed()))
        })
        r.add("math", Builtin("print", "print(values...)", doc: "Prints values separated by spaces (strings without quotes).", example: "print(\"energy\", 0.5)") { args in
            let text = args.rest().map { v -> String in if case .string(let s) = v { return s }; return Interpreter.Display.text(v) }.joined(separator: " ")
            args.interpreter.emit(text, json: .object([("type", .string("print")), ("text", .string(text))]))
            return .none
        })
        r.add("math", Builtin("str", "str(x)", doc: "The display text of a value.", example: "str(1 / 3)") { args in
            let v = try args.required("x")
            if case .string = v { return v }
            return .string(Interpreter.Display.text(v))
        })
        r.add("math", Builtin("int", "int(x)", doc: "Truncates a number to an integer.", example: "int(3.7)") { args in
            let v = try args.required("x")
            guard let d = v.asDouble, d.isFinite, abs(d) < 9e18 else { throw args.typeError("x", expected: "a finite number", got: v) }
            return .int(Int(d))
        })
        r.add("math", Builtin("float", "float(x)", doc: "A number as a float.", example: "float(3)") { args in
            let v = try args.required("x")
            guard let d = v.asDouble else { throw args.typeError("x", expected: "a number", got: v) }
            return .number(d)
        })
        r.add("math", Builtin("type", "type(x)", doc: "The type name of a value.", example: "type(pi)") { args in
            .string(try args.required("x").typeName)
        })
    }

    static let elementwise: [(String, (Double) -> Double, String)] = [
        ("sqrt", { $0.squareRoot() }, "Square root."), ("exp", { Foundation.exp($0) }, "e^x."), ("log", { Foundation.log($0) }, "Natural logarithm."),
        ("sin", { Foundation.sin($0) }, "Sine (radians)."), ("cos", { Foundation.cos($0) }, "Cosine (radians)."), ("tan", { Foundation.tan($0) }, "Tangent (radians)."),
        ("floor", { $0.rounded(.down) }, "Largest integer ≤ x."),
    ]

    static func reduction(_ name: String, doc: String, _ f: @escaping ([Double]) -> Double) -> Builtin {
        Builtin(name, "\(name)(x) or \(name)(a, b, ...)", doc: doc, example: "\(name)([1, 2, 3])") { args in
            let values = args.rest()
            let data: [Double]
            if values.count == 1 {
                guard let a = try values[0].asArray else { throw args.typeError("x", expected: "a tensor, list or number", got: values[0]) }
                data = a.data
            } else {
                data = try values.map { v in
                    guard let d = v.asDouble else { throw args.typeError("x", expected: "numbers", got: v) }
                    return d
                }
            }
            guard !data.isEmpty else { throw RuntimeError("\(name) of an empty collection") }
            return .number(f(data))
        }
    }
}

extension Arguments {
    /// The labelled `seed:` option, or nil to draw from the run's stream when used.
    mutating func optionalSeed() throws -> UInt64? {
        guard let v = option("seed"), !v.isNone else { return nil }
        guard let i = v.asInt, i >= 0 else { throw typeError("seed", expected: "a non-negative integer", got: v) }
        return UInt64(i)
    }
}
