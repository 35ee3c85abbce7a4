/// A small, fast, seedable generator (SplitMix64), so every sampled result is reproducible from its seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose whole stream is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Simulator {
    /// The shot counts ``sample(_:trainable:inputs:shots:seed:)`` takes: up to 10⁸ per item (the
    /// samples of one item then take 800 MB).
    public static let shotRange = 1...100_000_000

    /// `shots` basis-state samples (amplitude indices, wire 0 most significant) per batch item,
    /// drawn from |ψ_a|² with a generator seeded by `seed`.
    public func sample(_ circuit: Circuit, trainable: [Double] = [], inputs: Inputs = .empty(),
                       shots: Int, seed: UInt64) throws -> [[Int]] {
        guard Self.shotRange.contains(shots) else { throw SimulatorError.invalidInput("shots must be in \(Self.shotRange); got \(shots)") }
        let probabilities = try self.probabilities(circuit, trainable: trainable, inputs: inputs)
        var rng = SeededGenerator(seed: seed)
        return probabilities.map { p in
            var cumulative = [Double](repeating: 0, count: p.count)
            var total = 0.0
            for (k, x) in p.enumerated() { total += x; cumulative[k] = total }
            return (0..<shots).map { _ in
                let u = Double.random(in: 0..<total, using: &rng)
                var lo = 0, hi = cumulative.count - 1
                while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] > u { hi = mid } else { lo = mid + 1 } }
                return lo
            }
        }
    }

    /// Expectations estimated from `shots` samples per item: the circuit is extended with the
    /// observable's diagonalising rotation (H for X, S†·H for Y, V† for a Hermitian H = V·D·V†),
    /// sampled, and each outcome scored by its eigenvalue.
    public func estimatedExpectations(_ circuit: Circuit, observables: [Observable], trainable: [Double] = [],
                                      observableParameters: [Double] = [], inputs: Inputs = .empty(),
                                      shots: Int, seed: UInt64) throws -> Expectations {
        var values = [[Double]](repeating: [], count: inputs.batch)
        for (k, obs) in observables.enumerated() {
            try obs.validate(qubits: circuit.qubits, parameterCount: observableParameters.count)
            var estimate = [Double](repeating: 0, count: inputs.batch)
            switch obs {
            case .pauli(let terms):
                for (j, term) in terms.enumerated() {
                    var c = circuit
                    for f in term.factors {
                        if f.pauli == .y { try c.sdg(f.wire) }
                        if f.pauli != .z { try c.h(f.wire) }
                    }
                    let mask = term.factors.reduce(0) { $0 | (1 << (circuit.qubits - 1 - $1.wire)) }
                    let samples = try sample(c, trainable: trainable, inputs: inputs, shots: shots, seed: seed &+ UInt64(k * 1000 + j))
                    for (b, s) in samples.enumerated() {
                        let sum = s.reduce(0.0) { $0 + ((($1 & mask).nonzeroBitCount & 1) == 0 ? 1 : -1) }
                        estimate[b] += term.coefficient * sum / Double(shots)
                    }
                }
            case .hermitian, .trainableHermitian:
                let (eigenvalues, v) = hermitianEigen(obs.matrix(observableParameters)!)
                var c = circuit
                try c.apply(.unitary(v.adjoint), obs.wires)
                let samples = try sample(c, trainable: trainable, inputs: inputs, shots: shots, seed: seed &+ UInt64(k * 1000))
                let n = circuit.qubits
                for (b, s) in samples.enumerated() {
                    let sum = s.reduce(0.0) { acc, a in
                        let sub = obs.wires.reduce(0) { ($0 << 1) | ((a >> (n - 1 - $1)) & 1) }
                        return acc + eigenvalues[sub]
                    }
                    estimate[b] = sum / Double(shots)
                }
            }
            for b in 0..<inputs.batch { values[b].append(estimate[b]) }
        }
        return Expectations(batch: inputs.batch, outputs: observables.count, values: values.flatMap { $0 })
    }
}
