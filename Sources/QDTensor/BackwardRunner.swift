import Foundation
import Synchronization

extension BackwardPlan {
    /// Runs the pass seeded with `seed` at the output and returns the gradients of the nodes at
    /// plan indices `kept`. On one thread, or for fewer than `minimumNodes` nodes, it visits the
    /// nodes in plan order; else a node runs as soon as all its consumers have sent
    /// (``ParallelBackward``). Both sum each node's
    /// parts in the same order, so the result does not depend on the thread count. With `release`,
    /// each node drops its rule once the rule has run (``GradNode/releaseRule()``).
    func run(seed: Tensor<S>, kept: Set<Int>, threads: Int, release: Bool, parallelFrom minimumNodes: Int) throws -> [Int: Tensor<S>] {
        guard !nodes.isEmpty else { return [:] }
        if threads > 1, nodes.count >= minimumNodes {
            return try ParallelBackward(plan: self, seed: seed, kept: kept, release: release).run(threads: threads)
        }
        var inboxes = self.inboxes(seed: seed)
        var gradients: [Int: Tensor<S>] = [:]
        for k in nodes.indices {
            let g = try inboxes[k].total()
            inboxes[k] = GradientInbox()
            if kept.contains(k) { gradients[k] = g }
            for (to, send) in try sends(from: k, gradient: g) { inboxes[to].receive(send, from: k) }
            if release && propagates[k] { nodes[k].releaseRule() }
        }
        return gradients
    }
}

/// A backward pass run by several threads at once: each node's rule runs once all its consumers
/// have sent it their gradients, so independent branches of the graph (a layer's weight gradient
/// beside its input gradient; an inner training step's image gradient beside the step before it)
/// run side by side. Worth it for graphs of many small operations, which are too small to split
/// one by one: the inner steps of dataset distillation and their meta-gradient.
///
/// Ready nodes are taken longest remaining chain first (``BackwardPlan/depths()``, the critical path
/// of a meta-gradient is its chain of inner steps), ties in plan order; idle threads spin briefly
/// for the next one, then yield. Each thread runs its nodes' operations on one thread, as a
/// task of ``TensorThreads/map(_:_:)`` does.
///
/// A node whose rule was recorded in pieces (``BackwardPiece``: a convolution's input and weight
/// gradients) is split: the thread that takes it sums its gradient, files its other pieces as
/// ready tasks and runs the first; the thread that finishes the last piece files the node's sends.
/// Each piece computes what the whole rule would, so the bits do not change.
///
/// A thread with no rule ready also joins any loop a running rule has shared
/// (``TensorThreads/sharingIdleThreads(_:_:)``: the quantum layer's lane groups), so work on the
/// critical path can use the cores the chain leaves idle.
final class ParallelBackward<S: TensorScalar> {
    /// Fewer nodes than this run serially: the threads would cost more than they give.
    static var minimumNodes: Int { 256 }
    /// The same for graphs of small operations, too small to split over the threads one by one:
    /// at two threads a distillation inner step of the quantum LeNet on ten images ran about 11%
    /// faster side by side than serially with its operations split, and one of AlexCifarNet,
    /// whose operations are large, about 5% slower.
    static var minimumNodesOfSmallOperations: Int { 16 }

    /// Work for a thread: node `node`'s rule whole (`piece` nil), or one piece of a split node.
    private struct Task { let node: Int, piece: Int? }

    /// A split node's pieces under way: its gradient and the pieces' results so far.
    private struct Split {
        let gradient: Tensor<S>
        var results: [Result<[Tensor<S>?], Error>?]
    }

    private let plan: BackwardPlan<S>
    private let depth: [Int]
    private let kept: Set<Int>
    /// Whether each node drops its rule once it has run.
    private let release: Bool
    private let lock = SpinLock()
    // guarded by `lock`
    private var inboxes: [GradientInbox<S>]
    private var awaited: [Int]
    private var ready: [Task]
    private var splits: [Int: Split]
    private var done: [Bool]
    private var finishedBeforeLimit = 0
    private var failure: (node: Int, error: Error)?
    private var gradients: [Int: Tensor<S>] = [:]
    /// Bumped whenever work becomes ready (a node, a split node's other pieces, or a loop shared
    /// by a running rule) or the pass ends: what idle threads watch.
    private let progress = Atomic<Int>(0)
    /// Loops that running rules share with the idle threads (``TensorThreads/sharingIdleThreads(_:_:)``).
    private var help: IdleHelp!

    init(plan: BackwardPlan<S>, seed: Tensor<S>, kept: Set<Int>, release: Bool) {
        self.plan = plan
        depth = plan.depths()
        self.kept = kept
        self.release = release
        inboxes = plan.inboxes(seed: seed)
        let awaited = plan.sendsAwaited
        self.awaited = awaited
        done = [Bool](repeating: false, count: awaited.count)
        // a loop and explicit assignments: `filter { … }.map { Task(…) }` and a default value for
        // `splits` crashed Swift 6.3's optimiser (CopyPropagation) under cross-module optimisation
        var ready: [Task] = []
        for k in awaited.indices where awaited[k] == 0 { ready.append(Task(node: k, piece: nil)) }
        self.ready = ready
        splits = [:]
        help = IdleHelp { [unowned self] in self.progress.add(1, ordering: .releasing) }
    }

    /// Runs the pass on `threads` threads (this one among them). When rules throw, it rethrows
    /// the error the serial pass would meet: that of the failing node earliest in plan order.
    func run(threads: Int) throws -> [Int: Tensor<S>] {
        let recording = GradMode.isEnabled
        guard let scope = NeededNodes.currentScope else { preconditionFailure("a backward pass runs inside its needed-nodes scope") }
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            TensorThreads.asTask { GradMode.with(enabled: recording) { NeededNodes.with(scope) { help.with { work() } } } }
        }
        if let failure { throw failure.error }
        return gradients
    }

    /// The nodes still to run: all of them, or after a rule threw, those before the failing node
    /// in plan order (each needs only nodes before it, so they all can; one of them may fail
    /// earlier still, as it would in the serial pass).
    private var limit: Int { failure?.node ?? plan.nodes.count }

    /// One thread's loop: take the ready task with the longest chain ahead (ties: plan order, then
    /// piece order), run it, deliver what it completes.
    private func work() {
        var seen = progress.load(ordering: .acquiring)
        while true {
            lock.lock()
            if finishedBeforeLimit == limit { lock.unlock(); return }
            guard let slot = bestReadyTask() else {
                lock.unlock()
                // no rule ready: help with a loop a running rule has shared, or wait
                if let loop = help.postedLoop(), loop.help() { continue }
                seen = waitForProgress(after: seen)
                continue
            }
            let task = ready.remove(at: slot)
            let k = task.node
            if let piece = task.piece {
                let g = splits[k]!.gradient
                lock.unlock()
                run(piece: piece, of: k, gradient: g)
                continue
            }
            let inbox = inboxes[k]
            inboxes[k] = GradientInbox()
            lock.unlock()
            do {
                let g = try inbox.total()
                if let g, let pieces = plan.pieces(of: k) {
                    lock.lock()
                    splits[k] = Split(gradient: g, results: Array(repeating: nil, count: pieces.count))
                    ready += (1..<pieces.count).map { Task(node: k, piece: $0) }
                    lock.unlock()
                    progress.add(1, ordering: .releasing)
                    run(piece: 0, of: k, gradient: g)
                } else {
                    deliver(try plan.sends(from: k, gradient: g), from: k, gradient: g)
                }
            } catch {
                fail(k, error)
            }
        }
    }

    /// The ready task (before ``limit``) with the longest chain ahead; ties: plan order, then piece
    /// order. Called with the lock held.
    private func bestReadyTask() -> Int? {
        func priority(_ t: Task) -> (Int, Int, Int) { (depth[t.node], -t.node, -(t.piece ?? 0)) }
        var best: Int?
        for slot in ready.indices where ready[slot].node < limit {
            if let b = best, priority(ready[slot]) <= priority(ready[b]) { continue }
            best = slot
        }
        return best
    }

    /// Runs one piece of split node `k`; the thread that finishes its last piece merges the pieces'
    /// gradients and delivers the node's sends (or, when a piece threw, the first piece's error in
    /// piece order: the one the whole rule would have thrown).
    private func run(piece: Int, of k: Int, gradient g: Tensor<S>) {
        let pieces = plan.pieces(of: k)!
        let result = Result { try pieces[piece].rule(g) }
        lock.lock()
        splits[k]!.results[piece] = result
        let finished = splits[k]!.results.allSatisfy { $0 != nil } ? splits.removeValue(forKey: k)!.results.map { $0! } : nil
        lock.unlock()
        guard let finished else { return }
        do {
            let merged = BackwardPiece.merged(try finished.map { try $0.get() }, of: pieces, inputs: plan.nodes[k].inputs.count)
            deliver(plan.sends(from: k, results: merged), from: k, gradient: g)
        } catch {
            fail(k, error)
        }
    }

    /// Records that node `k`'s rule threw: only nodes before it in plan order still run.
    private func fail(_ k: Int, _ error: Error) {
        lock.lock()
        if k < limit {
            failure = (k, error)
            finishedBeforeLimit = done[..<k].lazy.filter { $0 }.count
        }
        lock.unlock()
        progress.add(1, ordering: .releasing)
    }

    /// Files node `k`'s sends and its gradient (when kept), and marks the nodes they complete ready.
    /// A released rule's saved tensors are freed first, on this thread, outside the lock.
    private func deliver(_ sends: [(to: Int, send: GradientSend<S>)], from k: Int, gradient g: Tensor<S>?) {
        if release && plan.propagates[k] { plan.nodes[k].releaseRule() }
        lock.lock()
        if kept.contains(k) { gradients[k] = g }
        for (to, send) in sends {
            inboxes[to].receive(send, from: k)
            awaited[to] -= 1
            if awaited[to] == 0 { ready.append(Task(node: to, piece: nil)) }
        }
        done[k] = true
        if k < limit { finishedBeforeLimit += 1 }
        lock.unlock()
        progress.add(1, ordering: .releasing)
    }

    /// Waits until ``progress`` moves past `seen`: spinning at first (the next node is usually
    /// microseconds away), then yielding the core. Returns the new value.
    private func waitForProgress(after seen: Int) -> Int {
        var backoff = Backoff()
        while true {
            let now = progress.load(ordering: .acquiring)
            if now != seen { return now }
            backoff.pause()
        }
    }
}
