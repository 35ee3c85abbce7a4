import Foundation

/// Counts circuit executions, the paper's cost metric. One execution is one circuit run on one
/// batch item; a parameter-shift gradient also counts each shifted run, as hardware would.
public final class ExecutionCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var forwardRuns = 0
    private var adjointRuns = 0
    private var shiftedRuns = 0

    /// Creates a counter at zero.
    public init() {}

    /// Forward executions (one per batch item per run), including the forward half of adjoint gradients.
    public var forward: Int { lock.withLock { forwardRuns } }
    /// Adjoint backward sweeps (one per batch item); each costs about one more execution on a simulator.
    public var adjoint: Int { lock.withLock { adjointRuns } }
    /// Extra executions made by parameter-shift rules (two or four per parameter occurrence per item).
    public var shifted: Int { lock.withLock { shiftedRuns } }
    /// All executions: forward + adjoint + shifted.
    public var total: Int { lock.withLock { forwardRuns + adjointRuns + shiftedRuns } }

    func record(forward f: Int = 0, adjoint a: Int = 0, shifted s: Int = 0) {
        lock.withLock { forwardRuns += f; adjointRuns += a; shiftedRuns += s }
    }

    /// Sets every count back to zero.
    public func reset() { lock.withLock { forwardRuns = 0; adjointRuns = 0; shiftedRuns = 0 } }
}
