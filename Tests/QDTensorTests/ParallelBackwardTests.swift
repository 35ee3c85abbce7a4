import XCTest
import QDTensor
import Synchronization

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

    /// x = [1, 2] and the sum of two independent chains of 300 operations y ↦ 1.001·y on it,
    /// whose backward rules call `visit(branch, position)` (which may throw) before g ↦ 1.001·g.
    private func twoChains(_ visit: @escaping (_ branch: Int, _ position: Int) throws -> Void) throws -> (x: Tensor<Double>, sum: Tensor<Double>) {
        let x = Tensor<Double>(vector: [1, 2]).requiringGrad()
        var chains = [x, x]
        for branch in 0..<2 {
            for position in 0..<300 {
                chains[branch] = (chains[branch] * 1.001).recorded(from: [chains[branch]]) { g in
                    try visit(branch, position)
                    return [g * 1.001]
                }
            }
        }
        return (x, try chains[0] + chains[1])
    }

    func testIndependentBranchesRunOnBothThreads() throws {
        // two chains of 300 operations whose rules take about 20 µs each: both threads take part
        TensorThreads.count = 2
        let threads = Mutex<Set<UInt>>([])
        let (x, sum) = try twoChains { _, _ in
            let start = DispatchTime.now().uptimeNanoseconds
            while DispatchTime.now().uptimeNanoseconds - start < 20_000 {}
            threads.withLock { _ = $0.insert(UInt(pthread_self())) }
        }
        XCTAssertGreaterThan(Autograd.graphSize(of: sum), Autograd.parallelMinimumNodes)
        let g = try Autograd.gradients(of: sum.sum(), wrt: [x])[0]
        XCTAssertEqual(g.values[0], 2 * pow(1.001, 300), accuracy: 1e-9)
        XCTAssertEqual(threads.withLock { $0.count }, 2)
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
