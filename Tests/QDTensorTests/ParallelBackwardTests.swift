import XCTest
import QDTensor
import Synchronization

/// Spins until `condition` holds or a second has passed; returns whether it holds. The tests of
/// work running side by side wait this way for another thread's step, so that a late thread
/// (short of a second) cannot change their outcome.
private func holdsWithinASecond(_ condition: () -> Bool) -> Bool {
    let start = DispatchTime.now().uptimeNanoseconds
    while !condition() {
        if DispatchTime.now().uptimeNanoseconds - start >= 1_000_000_000 { return condition() }
    }
    return true
}

/// Backward passes over large graphs run their independent branches on several threads: they
/// must give the serial pass's gradients bit for bit (each node sums its parts in the same order),
/// match finite differences, and rethrow the error the serial pass would.
final class ParallelBackwardTests: XCTestCase {
    override func setUp() { saved = TensorThreads.count }
    override func tearDown() { TensorThreads.count = saved }
    private var saved = 1

    /// A meta-gradient in miniature, as the distiller takes it: weights θ (read as block views of
    /// one flat vector) trained for `steps` gradient steps on data `x` with step size softplus(r),
    /// each step's gradient taken with `createGraph`; returns the loss of the trained weights on
    /// fixed data, differentiable with respect to x and r.
    private func unrolledLoss(_ x: Tensor<Double>, _ r: Tensor<Double>, steps: Int) throws -> Tensor<Double> {
        var theta = try Tensor<Double>(shape: [6], values: [0.3, -0.2, 0.5, 0.1, -0.4, 0.2]).requiringGrad()
        let rate = r.softplus()
        for k in 0..<steps {
            let w = try theta.sliced(axis: 0, 0..<4).reshaped([2, 2]), b = try theta.sliced(axis: 0, 4..<6).reshaped([1, 2])
            let rows = try x.sliced(axis: 0, (k % 2 * 3)..<(k % 2 * 3 + 3))
            let h = try (rows.matmul(w) + b).tanh()
            let loss = try (h * h).sum() + (h * rows.sliced(axis: 1, 0..<2)).sum() * 0.5
            let g = try Autograd.gradients(of: loss, wrt: [theta], createGraph: true, stopAtInputs: true)[0]
            theta = try theta - g * rate
        }
        let probe = try Tensor<Double>(shape: [2, 2], values: [1, -1, 0.5, 2])
        let w = try theta.sliced(axis: 0, 0..<4).reshaped([2, 2]), b = try theta.sliced(axis: 0, 4..<6).reshaped([1, 2])
        return try (probe.matmul(w) + b).tanh().squared().sum()
    }

    private let data = try! Tensor<Double>(shape: [6, 2], values: [0.5, -1, 0.25, 0.75, -0.5, 1, 1, 0.2, -0.3, 0.4, 0.8, -0.6])
    private let rate = try! Tensor<Double>(shape: [1], values: [-2])

    func testTheParallelPassGivesTheSerialGradientsBitForBit() throws {
        var results: [[[Double]]] = []
        for threads in [1, 2] {
            TensorThreads.count = threads
            let x = data.requiringGrad(), r = rate.requiringGrad()
            let loss = try unrolledLoss(x, r, steps: 30)
            // first order through the unrolled steps, then second order: the gradient's own graph
            let first = try Autograd.gradients(of: loss, wrt: [x, r], createGraph: true)
            let second = try Autograd.gradients(of: (first[0] * first[0]).sum() + first[1].sum(), wrt: [x, r])
            results.append((first + second).map(\.values))
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertGreaterThan(results[0][0].map(abs).max()!, 1e-6, "the images' meta-gradient is not zero")
    }

    func testAReleasingPassGivesTheSameGradientsAndFreesWhatTheRulesSaved() throws {
        /// Captured by a rule, as a rule captures the tensors it saved.
        final class Saved {}
        for threads in [1, 2] {
            TensorThreads.count = threads
            func marked(_ x: Tensor<Double>, _ r: Tensor<Double>, saving saved: Saved) throws -> Tensor<Double> {
                let loss = try unrolledLoss(x, r, steps: 30)
                return loss.recorded(from: [loss]) { g in withExtendedLifetime(saved) { [g] } }
            }
            let (x, r) = (data.requiringGrad(), rate.requiringGrad())
            let kept = try Autograd.gradients(of: marked(x, r, saving: Saved()), wrt: [x, r])
            var saved: Saved? = Saved()
            weak let probe = saved
            let output = try marked(x, r, saving: saved!)
            saved = nil
            XCTAssertNotNil(probe, "the graph holds what its rules saved")
            let released = try Autograd.gradients(of: output, wrt: [x, r], releaseGraph: true)
            XCTAssertEqual(released.map(\.values), kept.map(\.values), "\(threads) thread(s)")
            XCTAssertNil(probe, "\(threads) thread(s): the rules' saved values are freed while the graph's output lives")
            // a released node is not a leaf: a second pass fails instead of returning zeros
            XCTAssertThrowsError(try Autograd.gradients(of: output, wrt: [x, r])) {
                XCTAssertTrue("\($0)".contains("released by an earlier pass"), "\($0)")
            }
        }
    }

    func testTheParallelPassMatchesFiniteDifferences() throws {
        TensorThreads.count = 2
        let error = try GradCheck.gradientError([data, rate]) { try self.unrolledLoss($0[0], $0[1], steps: 30) }
        XCTAssertLessThan(error, 1e-6)
    }

    func testTheGraphIsLargeEnoughToRunInParallel() throws {
        // the two tests above only test the parallel pass if it runs
        let loss = try unrolledLoss(data.requiringGrad(), rate.requiringGrad(), steps: 30)
        XCTAssertGreaterThan(Autograd.graphSize(of: loss), 2 * Autograd.parallelMinimumNodes)
    }

    /// x = [1, 2] and the sum of two independent chains of `length` operations y ↦ 1.001·y on it,
    /// whose backward rules call `visit(branch, position)` (which may throw) before g ↦ 1.001·g.
    private func twoChains(length: Int = 300, _ visit: @escaping (_ branch: Int, _ position: Int) throws -> Void) throws
        -> (x: Tensor<Double>, sum: Tensor<Double>) {
        let x = Tensor<Double>(vector: [1, 2]).requiringGrad()
        var chains = [x, x]
        for branch in 0..<2 {
            for position in 0..<length {
                chains[branch] = (chains[branch] * 1.001).recorded(from: [chains[branch]]) { g in
                    try visit(branch, position)
                    return [g * 1.001]
                }
            }
        }
        return (x, try chains[0] + chains[1])
    }

    /// Rules for `twoChains` whose branches wait for each other: the first rule of each branch to
    /// run waits (up to a second) until the other branch has started, and notes whether it did.
    /// Both branches see each other only when two threads run them side by side; a pass that runs
    /// them one after the other leaves the first branch waiting in vain. Scheduling delays short of
    /// a second cannot change the outcome, as a fixed amount of work per rule could.
    private final class Rendezvous: Sendable {
        private let started = Mutex<[Bool]>([false, false]), sawOther = Mutex<[Bool]>([false, false])

        /// The `visit` to pass to `twoChains`.
        func visit(_ branch: Int, _ position: Int) {
            let first = started.withLock { started in
                defer { started[branch] = true }
                return !started[branch]
            }
            guard first else { return }
            let saw = holdsWithinASecond { started.withLock { $0[1 - branch] } }
            sawOther.withLock { $0[branch] = saw }
        }

        /// Whether each branch saw the other start while it waited.
        var met: Bool { sawOther.withLock { $0 == [true, true] } }
    }

    func testIndependentBranchesRunOnBothThreads() throws {
        // two chains of 300 operations: the parallel pass runs them side by side
        TensorThreads.count = 2
        let rendezvous = Rendezvous()
        let (x, sum) = try twoChains(rendezvous.visit)
        XCTAssertGreaterThan(Autograd.graphSize(of: sum), Autograd.parallelMinimumNodes)
        let g = try Autograd.gradients(of: sum.sum(), wrt: [x])[0]
        XCTAssertEqual(g.values[0], 2 * pow(1.001, 300), accuracy: 1e-9)
        XCTAssertTrue(rendezvous.met, "the two chains did not run side by side")
    }

    func testSmallOperationsRunSideBySideFromFarFewerNodes() throws {
        // two chains of 100 operations (about 200 nodes): serial by default, all on this thread;
        // side by side with `smallOperations`; the same gradient either way
        TensorThreads.count = 2
        let caller = pthread_self(), elsewhere = Mutex(false)
        let serialGraph = try twoChains(length: 100) { _, _ in
            if pthread_equal(pthread_self(), caller) == 0 { elsewhere.withLock { $0 = true } }
        }
        let nodes = Autograd.graphSize(of: serialGraph.sum)
        XCTAssertLessThan(nodes, Autograd.parallelMinimumNodes)
        XCTAssertGreaterThanOrEqual(nodes, Autograd.parallelMinimumNodesOfSmallOperations)
        let serial = try Autograd.gradients(of: serialGraph.sum.sum(), wrt: [serialGraph.x])[0]
        XCTAssertFalse(elsewhere.withLock { $0 }, "a rule of the serial pass ran on another thread")
        let rendezvous = Rendezvous()
        let (x, sum) = try twoChains(length: 100, rendezvous.visit)
        let sideBySide = try Autograd.gradients(of: sum.sum(), wrt: [x], smallOperations: true)[0]
        XCTAssertTrue(rendezvous.met, "the two chains did not run side by side")
        XCTAssertEqual(sideBySide.values, serial.values)
        XCTAssertEqual(serial.values[0], 2 * pow(1.001, 100), accuracy: 1e-12)
    }

    /// y = (a·2, b·3) recorded in two pieces (∂a, ∂b), then 300 operations z ↦ 1.001·z on y, so the
    /// pass is large enough to run in parallel and reaches the split node with nothing else to do.
    /// `pieceRule(piece)` runs at the start of each piece (it may throw).
    private func splitNodeUnderAChain(_ pieceRule: @escaping (Int) throws -> Void) throws -> (a: Tensor<Double>, b: Tensor<Double>, out: Tensor<Double>) {
        let a = Tensor<Double>(vector: [1, 2]).requiringGrad(), b = Tensor<Double>(vector: [3]).requiringGrad()
        var y = try Tensor<Double>.concatenated([a * 2, b * 3], axis: 0).recorded(from: [a, b], pieces: [
            ([0], { g in try pieceRule(0); return [try g.sliced(axis: 0, 0..<2) * 2] }),
            ([1], { g in try pieceRule(1); return [try g.sliced(axis: 0, 2..<3) * 3] }),
        ])
        for _ in 0..<300 { y = y * 1.001 }
        return (a, b, y.sum())
    }

    func testThePiecesOfASplitRuleRunSideBySide() throws {
        // the first piece waits (up to a second) for the second to start: only a second thread
        // taking the second piece while the first runs lets it see the start
        TensorThreads.count = 2
        let secondStarted = Atomic<Bool>(false), sawSecond = Atomic<Bool>(false)
        let (a, b, out) = try splitNodeUnderAChain { piece in
            if piece == 1 { secondStarted.store(true, ordering: .releasing); return }
            sawSecond.store(holdsWithinASecond { secondStarted.load(ordering: .acquiring) }, ordering: .releasing)
        }
        XCTAssertGreaterThan(Autograd.graphSize(of: out), Autograd.parallelMinimumNodes)
        let g = try Autograd.gradients(of: out, wrt: [a, b])
        for v in g[0].values { XCTAssertEqual(v, 2 * pow(1.001, 300), accuracy: 1e-9) }
        XCTAssertEqual(g[1].values[0], 3 * pow(1.001, 300), accuracy: 1e-9)
        XCTAssertTrue(sawSecond.load(ordering: .acquiring), "the second piece did not run while the first was running")
    }

    func testIdleThreadsJoinALoopARuleShares() throws {
        // y = 2a through a rule that shares a loop of three parts, under 300 operations, so the
        // pass reaches it with nothing else to do: part 0 waits (up to a second) for part 1 to
        // start, which only a second thread joining the loop lets it see; each part writes its own
        // slot, and every part runs once
        TensorThreads.count = 2
        let started = Mutex<[Int]>([0, 0, 0]), sawPartOne = Atomic<Bool>(false)
        let a = Tensor<Double>(vector: [1, 2, 3]).requiringGrad()
        var y = (a * 2).recorded(from: [a]) { g in
            let out = UnsafeMutableBufferPointer<Double>.allocate(capacity: 3)
            defer { out.deallocate() }
            TensorThreads.sharingIdleThreads(3) { part in
                started.withLock { $0[part] += 1 }
                if part == 0 {
                    sawPartOne.store(holdsWithinASecond { started.withLock { $0[1] } > 0 }, ordering: .releasing)
                }
                out[part] = 2 * g.values[part]
            }
            return [try Tensor<Double>(shape: [3], values: Array(out))]
        }
        for _ in 0..<300 { y = y * 1.001 }
        let out = y.sum()
        XCTAssertGreaterThan(Autograd.graphSize(of: out), Autograd.parallelMinimumNodes)
        let g = try Autograd.gradients(of: out, wrt: [a])[0]
        for v in g.values { XCTAssertEqual(v, 2 * pow(1.001, 300), accuracy: 1e-9) }
        XCTAssertEqual(started.withLock { $0 }, [1, 1, 1])
        XCTAssertTrue(sawPartOne.load(ordering: .acquiring), "no idle thread joined the shared loop")
        // outside a parallel pass the parts run in order on this thread
        var order: [Int] = []
        let caller = pthread_self()
        TensorThreads.sharingIdleThreads(4) { part in
            XCTAssertTrue(pthread_equal(pthread_self(), caller) != 0)
            order.append(part)
        }
        XCTAssertEqual(order, [0, 1, 2, 3])
    }

    func testASplitRuleRethrowsItsFirstPiecesError() throws {
        // both pieces throw, the second at once and the first a millisecond later: the whole rule,
        // run in order, throws the first piece's error, and so must the parallel pass
        TensorThreads.count = 2
        struct PieceFailure: Error, Equatable { let piece: Int }
        let (a, b, out) = try splitNodeUnderAChain { piece in
            if piece == 0 {
                let start = DispatchTime.now().uptimeNanoseconds
                while DispatchTime.now().uptimeNanoseconds - start < 1_000_000 {}
            }
            throw PieceFailure(piece: piece)
        }
        XCTAssertThrowsError(try Autograd.gradients(of: out, wrt: [a, b])) { XCTAssertEqual($0 as? PieceFailure, PieceFailure(piece: 0)) }
    }

    func testSplitRulesNameTheirSlots() throws {
        let a = Tensor<Double>(vector: [1]).requiringGrad()
        XCTAssertThrowsError(try a.recorded(from: [a], pieces: [([1], { _ in [nil] })])) { XCTAssertTrue("\($0)".contains("slot 1 is not an input; the 1 input(s) are slots 0..<1"), "\($0)") }
        XCTAssertThrowsError(try a.recorded(from: [a, a], pieces: [([0], { _ in [nil] }), ([0, 1], { _ in [nil, nil] })])) {
            XCTAssertTrue("\($0)".contains("name an input twice"), "\($0)")
        }
    }

    private struct RuleFailure: Error, Equatable { let branch: Int }

    func testTheErrorTheSerialPassMeetsIsRethrown() throws {
        // two independent chains of 300 operations, each with a throwing rule, one 10 operations
        // from the output and one 200: the parallel pass runs both chains at once and meets the
        // near one first, but it must rethrow the error the serial pass meets first (which chain
        // the serial pass walks first is the traversal's business, so both placements are tried)
        func failingGradient(failingAt positions: [Int]) throws -> RuleFailure? {
            let (x, sum) = try twoChains { branch, position in
                if position == positions[branch] { throw RuleFailure(branch: branch) }
            }
            do {
                _ = try Autograd.gradients(of: sum.sum(), wrt: [x])
                return nil
            } catch { return error as? RuleFailure }
        }
        for positions in [[290, 100], [100, 290]] {
            TensorThreads.count = 1
            let serial = try XCTUnwrap(failingGradient(failingAt: positions))
            TensorThreads.count = 2
            for _ in 0..<10 { XCTAssertEqual(try failingGradient(failingAt: positions), serial, "failing at \(positions)") }
        }
    }
}
