import Foundation
import QDSimulator

/// The simulator workloads of `../shared/anchors/README.md`, built exactly as the anchors build them.
enum Workloads {
    static let layers = 4
    static let scale = 5.0

    /// AmplitudeEmbedding, then 4 × [RY, RZ on every wire, CNOT ring], the W1–W4 circuit.
    /// θ[(l·n + i)·2] is RY's angle and θ[(l·n + i)·2 + 1] is RZ's (the anchors' (L, n, 2) shape).
    static func circuit(qubits n: Int) throws -> Circuit {
        var c = try Circuit(qubits: n)
        try c.amplitudeEmbedding(features: 0..<(1 << n), wires: Array(0..<n))
        for l in 0..<layers {
            for i in 0..<n {
                try c.ry(.trainable(2 * (l * n + i)), i)
                try c.rz(.trainable(2 * (l * n + i) + 1), i)
            }
            for i in 0..<n { try c.cnot(i, (i + 1) % n) }
        }
        return c
    }

    static func randomInputs(_ n: Int, batch: Int, rng: inout SeededGenerator) throws -> Inputs {
        let values = (0..<(batch << n)).map { _ in Double.random(in: -1..<1, using: &rng) }
        return try Inputs(batch: batch, features: 1 << n, values: values)
    }

    /// Per-item cross-entropy gradient of logits = 5·⟨Z⟩ against `labels`, averaged over the batch.
    static func crossEntropyUpstream(labels: [Int]) -> Upstream {
        let batch = Double(labels.count)
        return .perItem { item, z in
            let logits = z.map { scale * $0 }
            let m = logits.max()!
            let e = logits.map { exp($0 - m) }
            let total = e.reduce(0, +)
            var g = e.map { scale * $0 / total / batch }
            g[labels[item]] -= scale / batch
            return g
        }
    }
}
