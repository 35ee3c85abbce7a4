import Foundation

/// SplitMix64 with a Box–Muller normal: the one seeded generator of the tensor and learning layers,
/// so every random thing (initialisation, shuffling, checks) is reproducible from its seed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    private var spare: Double?

    /// A generator whose stream is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A sample of N(0, 1).
    public mutating func normal() -> Double {
        if let s = spare { spare = nil; return s }
        let u1 = Double.random(in: Double.leastNormalMagnitude..<1, using: &self), u2 = Double.random(in: 0..<1, using: &self)
        let r = (-2 * log(u1)).squareRoot()
        spare = r * sin(2 * .pi * u2)
        return r * cos(2 * .pi * u2)
    }
}
