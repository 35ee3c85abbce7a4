import QDTensor

/// Xavier (Glorot) normal initialisation as PyTorch's `xavier_normal_`: weights ~ N(0, σ²) with
/// σ = gain·√(2 / (fan_in + fan_out)), where for a weight [out, in, k…] fan_in = in·∏k and
/// fan_out = out·∏k; biases are zero. Deterministic in the seed.
public enum Initialization {
    /// A flat parameter vector for `layout`: Xavier-normal for blocks of rank ≥ 2, zeros for biases
    /// (rank 1), and a block named in `custom` filled by its closure instead.
    public static func xavierNormal<S: TensorScalar>(_ layout: ParameterLayout, gain: Double = 1, seed: UInt64,
                                                     custom: [String: (inout SeededRandom) -> [Double]] = [:]) -> Tensor<S> {
        var rng = SeededRandom(seed: seed)
        var values = [S](repeating: 0, count: layout.count)
        for e in layout.entries {
            let block: [Double]
            if let fill = custom[e.name] {
                block = fill(&rng)
            } else if e.shape.count >= 2 {
                let receptive = e.shape.dropFirst(2).reduce(1, *)
                let fanIn = e.shape[1] * receptive, fanOut = e.shape[0] * receptive
                let std = gain * (2 / Double(fanIn + fanOut)).squareRoot()
                block = (0..<e.count).map { _ in std * rng.normal() }
            } else {
                block = [Double](repeating: 0, count: e.count)
            }
            for (k, v) in block.enumerated() { values[e.offset + k] = S(v) }
        }
        return Tensor<S>(vector: values)
    }
}

