import QDTensor

/// The starting values of a `param` block.
enum Initializers {
    /// Values for a block of `shape` from its initialiser: nothing or `zeros` (0), a number (every
    /// element), a list or tensor (element-wise, same count), `xavier` (PyTorch's xavier_normal_ fan
    /// rule on the shape: fan_in = shape[1]·∏shape[2...], fan_out = shape[0]·∏shape[2...]; a 1-D
    /// block uses its length for both), `normal(mean, std)` or `uniform(lo, hi)`. Draws without an
    /// explicit seed come from the run's seed stream.
    static func values(_ v: Value?, shape: [Int], name: String, interpreter: Interpreter) throws -> [Double] {
        let count = shape.reduce(1, *)
        guard let v else { return [Double](repeating: 0, count: count) }
        switch v {
        case .initializer(let i): return generate(i, shape: shape, interpreter: interpreter)
        case .function(.builtin(let b)) where b.name == "zeros": return [Double](repeating: 0, count: count)
        default:
            if v.isScalarNumber, let d = v.asDouble {
                guard d.isFinite else { throw RuntimeError("param \(name): initial value \(d) is not finite") }
                return [Double](repeating: d, count: count)
            }
            if let a = try v.asArray {
                guard a.count == count else { throw RuntimeError("param \(name): the initial list has \(a.count) numbers; shape \(shape) needs \(count)") }
                guard a.data.allSatisfy(\.isFinite) else { throw RuntimeError("param \(name): the initial values contain NaN or infinity") }
                return a.data
            }
            throw RuntimeError("param \(name): the initialiser must be a number, a list, zeros, xavier, normal(mean, std) or uniform(lo, hi); got \(v.typeName)")
        }
    }

    static func generate(_ i: Initializer, shape: [Int], interpreter: Interpreter) -> [Double] {
        let count = shape.reduce(1, *)
        switch i {
        case .zeros: return [Double](repeating: 0, count: count)
        case .xavier(let seed):
            var rng = SeededRandom(seed: seed ?? interpreter.nextSeed())
            let receptive = shape.dropFirst(2).reduce(1, *)
            let fanIn = shape.count >= 2 ? shape[1] * receptive : count
            let fanOut = shape.count >= 2 ? shape[0] * receptive : count
            let std = (2 / Double(fanIn + fanOut)).squareRoot()
            return (0..<count).map { _ in std * rng.normal() }
        case .normal(let mean, let std, let seed):
            var rng = SeededRandom(seed: seed ?? interpreter.nextSeed())
            return (0..<count).map { _ in mean + std * rng.normal() }
        case .uniform(let lo, let hi, let seed):
            var rng = SeededRandom(seed: seed ?? interpreter.nextSeed())
            return (0..<count).map { _ in Double.random(in: lo..<hi, using: &rng) }
        }
    }
}
