import Foundation

/// A batch of B statevectors of n qubits, complex Float64, with real and imaginary parts in
/// separate arrays.
///
/// Layout: amplitude `a` of item `b` is at flat index `a·B + b` (the batch is the fastest index,
/// so every gate streams over runs of at least B contiguous doubles). Wire 0 is the most
/// significant bit of `a`, PennyLane's convention. A batch of 1 is still a batch.
public struct StateBatch: Equatable, Sendable {
    /// Number of qubits n.
    public let qubits: Int
    /// Number of states B.
    public let batch: Int
    /// Real parts, `2^n · B` entries.
    public internal(set) var re: [Double]
    /// Imaginary parts, `2^n · B` entries.
    public internal(set) var im: [Double]

    /// 2^n.
    public var dimension: Int { 1 << qubits }

    /// B copies of |0…0⟩. Throws when the batch is empty or the state would not fit in memory.
    public init(qubits: Int, batch: Int = 1) throws {
        try StateBatch.checkFits(qubits: qubits, batch: batch, copies: 1)
        self.qubits = qubits
        self.batch = batch
        re = Array(repeating: 0, count: (1 << qubits) * batch)
        im = re
        for b in 0..<batch { re[b] = 1 }
    }

    /// All-zero amplitudes, for outputs the simulator fills (callers validated the size).
    init(zeroedQubits qubits: Int, batch: Int) {
        self.qubits = qubits
        self.batch = batch
        re = Array(repeating: 0, count: (1 << qubits) * batch)
        im = re
    }

    /// A one-amplitude-pair stand-in used while a state is moved out of an `inout` argument.
    static let placeholder = StateBatch(zeroedQubits: 1, batch: 1)

    /// A batch from per-item amplitude lists (`amplitudes[b][a]`), not normalised.
    public init(amplitudes: [[Complex]]) throws {
        guard let first = amplitudes.first, first.count > 1, first.count & (first.count - 1) == 0 else {
            throw SimulatorError.invalidInput("a state needs 2^n ≥ 2 amplitudes per item; got \(amplitudes.first?.count ?? 0)")
        }
        guard amplitudes.allSatisfy({ $0.count == first.count }) else {
            throw SimulatorError.invalidInput("every batch item needs \(first.count) amplitudes; got \(amplitudes.map(\.count))")
        }
        try self.init(qubits: first.count.trailingZeroBitCount, batch: amplitudes.count)
        for (b, item) in amplitudes.enumerated() {
            for (a, z) in item.enumerated() {
                guard z.isFinite else { throw SimulatorError.invalidInput("amplitude \(a) of item \(b) is not finite: \(z)") }
                re[a * batch + b] = z.re
                im[a * batch + b] = z.im
            }
        }
    }

    /// The machine's memory in bytes, read once.
    static let physicalMemory = Double(ProcessInfo.processInfo.physicalMemory)

    /// Throws ``SimulatorError/tooManyQubits(_:)`` unless `copies` states of this size fit in 80% of memory.
    static func checkFits(qubits: Int, batch: Int, copies: Int) throws {
        guard batch >= 1 else { throw SimulatorError.invalidInput("batch size \(batch) must be at least 1") }
        guard (1...Circuit.maxQubits).contains(qubits) else {
            throw SimulatorError.tooManyQubits("qubit count \(qubits) is out of range 1...\(Circuit.maxQubits)")
        }
        let bytes = Double(copies) * 16 * Double(batch) * pow(2, Double(qubits))
        let budget = 0.8 * StateBatch.physicalMemory
        if bytes > budget {
            let maxN = Int(log2(budget / (16 * Double(batch) * Double(copies))))
            throw SimulatorError.tooManyQubits(
                "\(copies) state(s) of \(qubits) qubits × batch \(batch) need \(Int(bytes / 1_048_576)) MiB, over 80% of this machine's memory; at this batch size the limit is \(maxN) qubits")
        }
    }

    /// Amplitude `a` of item `b`.
    public func amplitude(item b: Int, index a: Int) -> Complex {
        Complex(re[a * batch + b], im[a * batch + b])
    }

    /// All amplitudes of item `b`, in basis order.
    public func amplitudes(item b: Int) -> [Complex] {
        (0..<dimension).map { amplitude(item: b, index: $0) }
    }

    /// |ψ_a|² for every basis state a of item `b`.
    public func probabilities(item b: Int) -> [Double] {
        (0..<dimension).map { re[$0 * batch + b] * re[$0 * batch + b] + im[$0 * batch + b] * im[$0 * batch + b] }
    }

    /// The basis label of index `a`, wire 0 first: e.g. `|0110⟩`.
    public func basisLabel(_ a: Int) -> String {
        "|" + (0..<qubits).map { (a >> (qubits - 1 - $0)) & 1 == 1 ? "1" : "0" }.joined() + "⟩"
    }
}
