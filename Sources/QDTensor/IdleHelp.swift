import Synchronization

/// Loops that the idle threads of a parallel backward pass may join (``ParallelBackward``): a
/// meta-gradient's pass waits on its chain of inner steps, one rule after another, and the other
/// threads often have nothing ready. A rule on that chain that splits its work into independent
/// parts (the quantum layer's lane groups) posts them here; idle threads of the same pass claim
/// parts while the posting thread claims the rest.
final class IdleHelp: @unchecked Sendable {
    /// One posted loop: `body(part)` for parts 0 ..< `parts`, claimed one at a time.
    final class Loop: @unchecked Sendable {
        let parts: Int
        let body: (Int) -> Void
        private let next = Atomic<Int>(0)
        private let finished = Atomic<Int>(0)

        init(parts: Int, body: @escaping (Int) -> Void) { (self.parts, self.body) = (parts, body) }

        /// Runs parts until none is left to claim; returns whether it ran any.
        @discardableResult
        func help() -> Bool {
            var ran = false
            while case let part = next.add(1, ordering: .relaxed).oldValue, part < parts {
                body(part)
                finished.add(1, ordering: .releasing)
                ran = true
            }
            return ran
        }

        /// Whether every part has run.
        var isFinished: Bool { finished.load(ordering: .acquiring) == parts }

        /// Whether some part has not been claimed yet.
        var hasUnclaimedParts: Bool { next.load(ordering: .relaxed) < parts }
    }

    private let lock = SpinLock()
    private var loops: [Loop] = []
    /// Called after a loop is posted, to wake the pass's idle threads.
    private let posted: () -> Void

    init(posted: @escaping () -> Void) { self.posted = posted }

    /// The latest posted loop with a part not yet claimed, if any (another thread may claim that
    /// part first).
    func postedLoop() -> Loop? {
        lock.lock()
        defer { lock.unlock() }
        return loops.last { $0.hasUnclaimedParts }
    }

    /// Runs `body(part)` for every part on this thread and on any idle thread of the pass that
    /// joins, and returns once all have run. `body` escapes: a helper may still hold the loop,
    /// with no part left to run, after this returns.
    func share(_ parts: Int, _ body: @escaping (Int) -> Void) {
        let loop = Loop(parts: parts, body: body)
        lock.lock()
        loops.append(loop)
        lock.unlock()
        posted()
        loop.help()
        lock.lock()
        loops.removeAll { $0 === loop }
        lock.unlock()
        var backoff = Backoff()
        while !loop.isFinished { backoff.pause() }
    }

    private static let current = ThreadSlot("the backward pass's idle help")

    /// The idle help of the parallel pass this thread runs a rule of, if any.
    static var onThisThread: IdleHelp? {
        current.value.map { Unmanaged<IdleHelp>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Runs `body` with this as the thread's idle help (what its rules share loops through).
    func with<R>(_ body: () throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try Self.current.with(UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque()), body) }
    }
}

extension TensorThreads {
    /// Runs `body(part)` for every part in 0 ..< `parts`: on this thread, joined by the threads of
    /// the parallel backward pass it runs in (if any) that have no rule ready to run. For rules
    /// on a meta-gradient's critical path whose work splits into independent parts. Which thread
    /// runs a part varies, so results must not depend on it, and each part must write only its own
    /// memory. No part runs after this returns, though a helper may hold `body` a little longer
    /// (hence `@escaping`).
    public static func sharingIdleThreads(_ parts: Int, _ body: @escaping (Int) -> Void) {
        guard parts > 1, let help = IdleHelp.onThisThread else {
            for part in 0..<max(0, parts) { body(part) }
            return
        }
        help.share(parts, body)
    }
}
