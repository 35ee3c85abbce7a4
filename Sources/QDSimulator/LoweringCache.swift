import Foundation

/// The gate lists a simulator lowered last (``compile(_:batch:trainable:inputs:features:)``), kept
/// so that a later run of the same circuit with the same angles and batch width reuses them: a
/// layer's backward pass (the vector-Jacobian product) repeats its forward pass's lowering, and the
/// quantum LeNet's distillation runs every inner step's circuit three times (forward, backward, and
/// the meta-gradient's pass through that backward), ten images at a time, where lowering took
/// about 40% of a run.
///
/// Lowering is a pure function of (circuit, width, trainable values) when no gate reads per-sample
/// inputs, and the ops are immutable, so a hit returns exactly what a fresh lowering would. The
/// values are compared bit for bit (so −0 and +0 differ, as they may in the lowered matrices).
final class LoweringCache: @unchecked Sendable {
    private struct Entry {
        let circuit: Circuit
        let batch: Int
        let trainable: [Double]
        let ops: [CompiledOp]
    }

    /// Entries kept, newest last (two chunk widths per run at most, so a few cover a run).
    static let capacity = 4
    private var entries: [Entry] = []
    private let lock = NSLock()

    /// The lowered ops of `plan` (whose gates read no per-sample inputs), from the cache or freshly.
    func ops(for plan: RunPlan) -> [CompiledOp] {
        if let hit = lock.withLock({ entries.last { matches($0, plan) } }) { return hit.ops }
        let ops = plan.compiled()
        lock.withLock {
            entries.append(Entry(circuit: plan.circuit, batch: plan.batch, trainable: plan.trainable, ops: ops))
            if entries.count > Self.capacity { entries.removeFirst() }
        }
        return ops
    }

    private func matches(_ e: Entry, _ plan: RunPlan) -> Bool {
        e.batch == plan.batch && e.trainable.count == plan.trainable.count
            && zip(e.trainable, plan.trainable).allSatisfy { $0.bitPattern == $1.bitPattern }
            && e.circuit == plan.circuit
    }
}
