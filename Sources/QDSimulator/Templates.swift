/// PennyLane's layer templates and embeddings, with PennyLane's exact semantics so numbers match.
extension Circuit {
    /// StronglyEntanglingLayers: for each layer l, Rot(φ, θ, ω) on every wire with
    /// (φ, θ, ω) = θ[offset + 3(l·n + i) + 0, 1, 2] (PennyLane's weight shape (L, n, 3)), then,
    /// when n > 1, CNOT(wires[i], wires[(i + r_l) mod n]) for i = 0..<n with the default range
    /// r_l = (l mod (n − 1)) + 1 unless `ranges` is given.
    public mutating func stronglyEntanglingLayers(layers: Int, wires: [Int], offset: Int = 0, ranges: [Int]? = nil) throws {
        let n = wires.count
        guard layers >= 1 else { throw SimulatorError.invalidCircuit("StronglyEntanglingLayers needs at least 1 layer; got \(layers)") }
        try checkWires(wires, what: "StronglyEntanglingLayers")
        let r = ranges ?? (0..<layers).map { n > 1 ? ($0 % (n - 1)) + 1 : 0 }
        guard r.count == layers else {
            throw SimulatorError.invalidCircuit("StronglyEntanglingLayers: \(r.count) ranges for \(layers) layers")
        }
        for (l, range) in r.enumerated() {
            for i in 0..<n {
                let k = offset + 3 * (l * n + i)
                try rot(.trainable(k), .trainable(k + 1), .trainable(k + 2), wires[i])
            }
            guard n > 1 else { continue }
            guard (1..<n).contains(range) else {
                throw SimulatorError.invalidCircuit("StronglyEntanglingLayers: range \(range) of layer \(l) must be in 1..<\(n)")
            }
            for i in 0..<n { try cnot(wires[i], wires[(i + range) % n]) }
        }
    }

    /// BasicEntanglerLayers: for each layer l, `rotation`(θ[offset + l·n + i]) on every wire, then
    /// a ring of CNOTs: none for one wire, CNOT(0, 1) alone for two, CNOT(i, i+1 mod n) otherwise.
    public mutating func basicEntanglerLayers(layers: Int, wires: [Int], offset: Int = 0, rotation: Gate = .rx) throws {
        guard rotation.parameterCount == 1, rotation.wireCount == 1 else {
            throw SimulatorError.invalidCircuit("BasicEntanglerLayers takes a one-parameter one-wire rotation (RX, RY, RZ); got \(rotation.label)")
        }
        guard layers >= 1 else { throw SimulatorError.invalidCircuit("BasicEntanglerLayers needs at least 1 layer; got \(layers)") }
        try checkWires(wires, what: "BasicEntanglerLayers")
        let n = wires.count
        for l in 0..<layers {
            for i in 0..<n { try apply(rotation, [wires[i]], parameters: [.trainable(offset + l * n + i)]) }
            if n == 2 { try cnot(wires[0], wires[1]) }
            if n > 2 { for i in 0..<n { try cnot(wires[i], wires[(i + 1) % n]) } }
        }
    }

    /// AngleEmbedding: `rotation`(x[features.lowerBound + j]) on `wires[j]`, with per-sample angles.
    public mutating func angleEmbedding(features: Range<Int>, wires: [Int], rotation: Gate = .rx) throws {
        guard [.rx, .ry, .rz].contains(rotation) else {
            throw SimulatorError.invalidCircuit("AngleEmbedding rotation must be RX, RY or RZ; got \(rotation.label)")
        }
        guard features.count <= wires.count else {
            throw SimulatorError.invalidInput("AngleEmbedding: \(features.count) features for \(wires.count) wires; at most one feature per wire")
        }
        try checkWires(wires, what: "AngleEmbedding")
        for (j, f) in features.enumerated() { try apply(rotation, [wires[j]], parameters: [.input(f)]) }
    }

    /// AmplitudeEmbedding of `features` on `wires`, normalised and padded with `pad` to 2^|wires|.
    public mutating func amplitudeEmbedding(features: Range<Int>, wires: [Int], pad: Double = 0) throws {
        try prepare(.amplitude(features: features, wires: wires, pad: pad))
    }

    /// BasisEmbedding: feature j (0 or 1) sets wire `wires[j]`.
    public mutating func basisEmbedding(features: Range<Int>, wires: [Int]) throws {
        try prepare(.basis(features: features, wires: wires))
    }
}
