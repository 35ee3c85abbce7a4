import QDSimulator

/// The slow, obvious reference: full 2^n × 2^n matrices built from Kronecker products, applied to
/// plain amplitude lists. Wire 0 is the most significant bit, as everywhere in qd.
enum DenseReference {
    /// I ⊗ … ⊗ M ⊗ … ⊗ I with M on `wire`.
    static func embed(_ m: ComplexMatrix, wire: Int, qubits n: Int) -> ComplexMatrix {
        var full = ComplexMatrix.identity(1)
        for w in 0..<n { full = full.kron(w == wire ? m : .identity(2)) }
        return full
    }

    /// The full matrix of an operation: Σ over control/target basis projectors, each a Kronecker
    /// product of |a⟩⟨b| factors, so controlled and multi-wire gates are built the same obvious way:
    /// U_full = Σ_{ctrl≠1…1} P_ctrl ⊗ I + P_{1…1} ⊗ Σ_xy U[x,y] |x⟩⟨y|_targets.
    static func matrix(of op: QuantumOperation, values: [Double], qubits n: Int) -> ComplexMatrix {
        let u = op.matrix(values)
        let k = op.wires.count
        let d = 1 << n
        var full = ComplexMatrix(dimension: d, entries: Array(repeating: .zero, count: d * d))
        func outer(_ a: Int, _ b: Int) -> ComplexMatrix {
            var m = ComplexMatrix(dimension: 2, entries: Array(repeating: .zero, count: 4))
            m[a, b] = .one
            return m
        }
        for ctrl in 0..<(1 << op.controls.count) {
            let allOn = ctrl == (1 << op.controls.count) - 1
            for x in 0..<(1 << k) { for y in 0..<(1 << k) {
                let coefficient: Complex = allOn ? u[x, y] : (x == y ? .one : .zero)
                if coefficient == .zero { continue }
                var term = ComplexMatrix.identity(1)
                for w in 0..<n {
                    if let ci = op.controls.firstIndex(of: w) {
                        let bit = (ctrl >> (op.controls.count - 1 - ci)) & 1
                        term = term.kron(outer(bit, bit))
                    } else if let ti = op.wires.firstIndex(of: w) {
                        term = term.kron(outer((x >> (k - 1 - ti)) & 1, (y >> (k - 1 - ti)) & 1))
                    } else {
                        term = term.kron(.identity(2))
                    }
                }
                full = full + coefficient * term
            } }
        }
        return full
    }

    static func apply(_ m: ComplexMatrix, _ v: [Complex]) -> [Complex] {
        (0..<m.dimension).map { r in (0..<m.dimension).reduce(Complex.zero) { $0 + m[r, $1] * v[$1] } }
    }

    /// ⟨v|M|v⟩ (real part).
    static func expectation(_ m: ComplexMatrix, _ v: [Complex]) -> Double {
        let mv = apply(m, v)
        return zip(v, mv).reduce(0.0) { $0 + ($1.0.conjugate * $1.1).re }
    }
}

/// Deterministic random numbers for tests.
struct TestRandom {
    var generator: SeededGenerator
    init(_ seed: UInt64) { generator = SeededGenerator(seed: seed) }
    mutating func uniform(_ lo: Double = -1, _ hi: Double = 1) -> Double { Double.random(in: lo..<hi, using: &generator) }
    mutating func normal() -> Double {
        let u = max(uniform(0, 1), 1e-300), v = uniform(0, 1)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
    mutating func state(qubits n: Int) -> [Complex] {
        var v = (0..<(1 << n)).map { _ in Complex(normal(), normal()) }
        let norm = v.reduce(0) { $0 + $1.magnitudeSquared }.squareRoot()
        v = v.map { (1 / norm) * $0 }
        return v
    }
    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &generator) }
    mutating func unitary(_ d: Int) -> ComplexMatrix {
        // Gram–Schmidt on a random complex matrix gives a random unitary.
        var cols: [[Complex]] = []
        while cols.count < d {
            var z = (0..<d).map { _ in Complex(normal(), normal()) }
            for u in cols {
                let dot = (0..<d).reduce(Complex.zero) { $0 + u[$1].conjugate * z[$1] }
                for k in 0..<d { z[k] = z[k] - dot * u[k] }
            }
            let norm = z.reduce(0) { $0 + $1.magnitudeSquared }.squareRoot()
            cols.append(z.map { (1 / norm) * $0 })
        }
        var m = ComplexMatrix.identity(d)
        for c in 0..<d { for r in 0..<d { m[r, c] = cols[c][r] } }
        return m
    }
}

import Foundation
