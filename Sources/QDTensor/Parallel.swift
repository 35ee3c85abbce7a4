import Dispatch
import Foundation
import Synchronization

/// Threads the tensor kernels use: convolutions split the batch, pooling splits planes, large
/// elementwise operations and reductions split their elements (and the quantum layer runs its
/// simulator on as many).
public enum TensorThreads {
    /// How many threads (default: every active core; a value below 1 sets 1, as ``Simulator``'s
    /// thread count does). Inside a task of ``map(_:_:)`` it reads 1: the tasks already share the
    /// threads, so their operations do not split again.
    public static var count: Int {
        get { insideTask.value == nil ? configured : 1 }
        set { configured = max(1, newValue) }
    }
    nonisolated(unsafe) private static var configured = ProcessInfo.processInfo.activeProcessorCount

    /// Set (non-nil) on a thread while it runs a task of ``map(_:_:)``.
    private static let insideTask = ThreadSlot("the tensor thread count")

    /// `(0 ..< tasks).map(body)`, with the tasks run on up to ``count`` threads (coarse-grained
    /// parallelism, for independent pieces of work such as slices of a batch). Each task runs with
    /// the caller's gradient mode and with ``count`` = 1, so it computes exactly what it would
    /// compute alone on one thread; results come back in task order. When tasks throw, the error
    /// of the first of them (in task order) is rethrown.
    public static func map<R>(_ tasks: Int, _ body: (Int) throws -> R) throws -> [R] {
        guard count > 1, tasks > 1 else { return try (0..<max(0, tasks)).map(body) }
        let recording = GradMode.isEnabled
        let results = UnsafeMutableBufferPointer<Result<R, Error>?>.allocate(capacity: tasks)
        results.initialize(repeating: nil)
        defer { results.deinitialize(); results.deallocate() }
        forEachClaimed(tasks, threads: count) { _, task in
            results[task] = asTask { GradMode.with(enabled: recording) { Result { try body(task) } } }
        }
        return try results.map { try $0!.get() }
    }

    /// Runs `body` as a task of ``map(_:_:)`` runs: with ``count`` = 1 on this thread.
    static func asTask<R>(_ body: () throws -> R) rethrows -> R {
        try insideTask.with(UnsafeRawPointer(bitPattern: 1), body)
    }
}

/// Runs `body(worker, part)` for every part in 0 ..< `parts`: in order on this thread, or on up to
/// `threads` workers (0 ..< threads, for per-worker scratch) that claim parts one at a time from a
/// shared counter, so none idles while another has several left. Which worker runs a part varies
/// from run to run, so results must not depend on it.
func forEachClaimed(_ parts: Int, threads: Int = TensorThreads.count, _ body: (_ worker: Int, _ part: Int) -> Void) {
    let workers = min(threads, parts)
    guard workers > 1 else {
        for part in 0..<parts { body(0, part) }
        return
    }
    let next = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
        while case let part = next.add(1, ordering: .relaxed).oldValue, part < parts { body(worker, part) }
    }
}

/// Into how many parts `count` independent items are split: none below 2¹⁷ elements of `work`
/// (waking a thread costs more), then one per 2¹⁶ elements, at most 8. The count does not depend
/// on the thread count, so neither does anything computed part by part (partial sums included).
@inline(__always)
func partCount(_ count: Int, work: Int) -> Int { work >= 1 << 17 ? max(1, min(count, 8, work >> 16)) : 1 }

/// Calls `body(part, items)` for each of `parts` contiguous ranges of `count` items, in parallel.
@inline(__always)
func forEachPart(_ count: Int, parts: Int, _ body: (Int, Range<Int>) -> Void) {
    forEachClaimed(parts) { _, p in body(p, (count * p / parts)..<(count * (p + 1) / parts)) }
}

/// Calls `body` on `count` independent items split into contiguous ranges (``partCount(_:work:)``)
/// run across ``TensorThreads/count`` threads.
@inline(__always)
func forEachRange(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
    forEachPart(count, parts: partCount(count, work: work)) { _, range in body(range) }
}
