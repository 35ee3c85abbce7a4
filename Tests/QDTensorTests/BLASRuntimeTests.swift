import Foundation
import XCTest
import QDTensor

/// OpenBLAS runs the kernel family the CPU supports, and products stay exact after the switch.
final class BLASRuntimeTests: XCTestCase {
    func testVectorClassesOfFlagsAndKernelFamilies() {
        let emeraldRapids: Set<Substring> = ["sse2", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
        XCTAssertEqual(BLASRuntime.VectorClass.ofFlags(emeraldRapids), .avx512)
        XCTAssertEqual(BLASRuntime.VectorClass.ofFlags(["avx2", "fma", "avx512f"]), .avx2, "AVX-512 F alone is not SkylakeX-class")
        XCTAssertEqual(BLASRuntime.VectorClass.ofFlags(["avx2"]), .sse, "AVX2 without FMA is not Haswell-class")
        XCTAssertEqual(BLASRuntime.VectorClass.ofCore("Prescott"), .sse)
        XCTAssertEqual(BLASRuntime.VectorClass.ofCore("Zen"), .avx2)
        XCTAssertEqual(BLASRuntime.VectorClass.ofCore("SKYLAKEX"), .avx512)
    }

    func testKernelFamilyMatchesTheCPU() throws {
        if let forced = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] {
            throw XCTSkip("OPENBLAS_CORETYPE=\(forced) is set, so qd keeps OpenBLAS's choice")
        }
        guard BLASRuntime.canChooseKernels else { throw XCTSkip("this OpenBLAS is not a DYNAMIC_ARCH build: its kernels are fixed") }
        let core = BLASRuntime.coreName
        XCTAssertGreaterThanOrEqual(BLASRuntime.VectorClass.ofCore(core), BLASRuntime.cpuVectorClass,
                                    "OpenBLAS runs \(core) kernels (it chose \(BLASRuntime.replacedCoreName ?? core)) on a \(BLASRuntime.cpuVectorClass) CPU")
    }

    func testWorkerPoolIsShutDown() throws {
        guard let running = BLASRuntime.workerPoolRunning else { throw XCTSkip("this OpenBLAS does not export blas_server_avail") }
        XCTAssertFalse(running, "OpenBLAS's idle workers would spin beside qd's threads")
    }

    func testProductsAfterTheSwitchMatchANaiveLoop() throws {
        var rng = SeededRandom(seed: 3)
        for (m, k, n) in [(1, 1, 1), (7, 33, 5), (64, 150, 100)] {
            let a = Tensor<Float>.normal([m, k], using: &rng), b = Tensor<Float>.normal([k, n], using: &rng)
            let c = try a.matmul(b)
            for i in 0..<m { for j in 0..<n {
                var acc = 0.0
                for l in 0..<k { acc += Double(a.values[i * k + l]) * Double(b.values[l * n + j]) }
                XCTAssertEqual(Double(c.values[i * n + j]), acc, accuracy: 1e-4 * Double(k), "\(m)×\(k)×\(n) at (\(i), \(j))")
            } }
        }
    }
}
