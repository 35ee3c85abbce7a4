import XCTest
import QDTensor

/// `TensorThreads.map`: results in task order, the first failing task's error, the caller's
/// gradient mode inside the tasks, and no nested splitting; kernels that split their work over
/// the threads give the single-threaded result bit for bit.
final class TensorThreadsTests: XCTestCase {
    private struct TaskFailure: Error, Equatable { let task: Int }

    override func setUp() { saved = TensorThreads.count; TensorThreads.count = 2 }
    override func tearDown() { TensorThreads.count = saved }
    private var saved = 1

    func testResultsComeBackInTaskOrderAndTasksSeeOneThread() throws {
        let results = try TensorThreads.map(40) { task -> (Int, Int) in (task * task, TensorThreads.count) }
        XCTAssertEqual(results.map(\.0), (0..<40).map { $0 * $0 })
        XCTAssertEqual(Set(results.map(\.1)), [1])
        XCTAssertEqual(TensorThreads.count, 2, "the caller's count is back after the tasks")
    }

    /// A thread count below 1 (`qd-bench --threads 0` once set it and crashed a convolution) sets 1.
    func testACountBelowOneSetsOne() throws {
        TensorThreads.count = 0
        XCTAssertEqual(TensorThreads.count, 1)
        TensorThreads.count = -3
        XCTAssertEqual(TensorThreads.count, 1)
        var rng = SeededRandom(seed: 5)
        let x = Tensor<Float>.normal([4, 2, 6, 6], using: &rng), w = Tensor<Float>.normal([3, 2, 3, 3], using: &rng).requiringGrad()
        XCTAssertEqual(try Autograd.gradients(of: x.conv2d(w).sum(), wrt: [w])[0].shape, [3, 2, 3, 3])
    }

    func testTheFirstFailingTaskInOrderIsRethrown() {
        XCTAssertThrowsError(try TensorThreads.map(12) { task -> Int in
            if task % 5 == 3 { throw TaskFailure(task: task) }
            return task
        }) { XCTAssertEqual($0 as? TaskFailure, TaskFailure(task: 3)) }
    }

    func testTasksRecordGradientsExactlyWhenTheCallerDoes() throws {
        XCTAssertEqual(Set(try TensorThreads.map(8) { _ in Autograd.isRecording }), [true])
        XCTAssertEqual(Set(try Autograd.withoutGradients { try TensorThreads.map(8) { _ in Autograd.isRecording } }), [false])
        // a gradient taken inside each task, of a graph built there on a shared leaf
        let x = Tensor<Double>(vector: [1, 2, 3]).requiringGrad()
        let grads = try TensorThreads.map(6) { k in try Autograd.gradients(of: (x * Double(k + 1)).sum(), wrt: [x])[0].values }
        XCTAssertEqual(grads, (1...6).map { k in [Double](repeating: Double(k), count: 3) })
    }

    func testConvolutionWeightGradientDoesNotDependOnTheThreadCount() throws {
        // 12 images of 500 × 1,296 im2col values: one image per chunk, the chunks summed in 8 runs
        var rng = SeededRandom(seed: 3)
        let x = Tensor<Float>.normal([12, 20, 36, 36], using: &rng), w = Tensor<Float>.normal([3, 20, 5, 5], using: &rng).requiringGrad()
        let r = Tensor<Float>.normal([12, 3, 36, 36], using: &rng)
        var gradients: [[Float]] = []
        for threads in [1, 2] {
            TensorThreads.count = threads
            gradients.append(try Autograd.gradients(of: (x.conv2d(w, padding: 2) * r).sum(), wrt: [w])[0].values)
        }
        XCTAssertEqual(gradients[0], gradients[1])
        XCTAssertGreaterThan(gradients[0].map(abs).max()!, 0)
    }
}
