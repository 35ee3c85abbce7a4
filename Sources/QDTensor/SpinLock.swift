import Foundation
import Synchronization

/// A lock for critical sections of a few hundred nanoseconds that a few threads take often (the
/// parallel backward pass's scheduler): a waiting thread spins, then yields its core, instead of
/// sleeping in the kernel, whose wake-up costs microseconds (more on a VM) on every contended
/// hand-over.
final class SpinLock: Sendable {
    private let held = Atomic<Bool>(false)

    /// Takes the lock, spinning while another thread holds it.
    func lock() {
        var backoff = Backoff()
        while !held.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            while held.load(ordering: .relaxed) { backoff.pause() }
        }
    }

    /// Releases the lock.
    func unlock() { held.store(false, ordering: .releasing) }
}

/// How a thread waits for another's next step, which is usually microseconds away: it spins for
/// the first few thousand checks, then yields its core at each one.
struct Backoff {
    private var spins = 0

    /// One wait between two checks.
    mutating func pause() {
        spins += 1
        if spins > 4_000 { sched_yield() }
    }
}
