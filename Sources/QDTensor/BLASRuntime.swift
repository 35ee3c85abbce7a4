import COpenBLAS
import Foundation

/// How qd runs OpenBLAS: one thread per call (qd parallelises over images itself and calls BLAS
/// from each of its threads) and the best kernel family the CPU supports.
///
/// Two things go wrong with a stock OpenBLAS otherwise:
/// - **Idle workers spin.** OpenBLAS starts a pool of worker threads when it loads; setting its
///   thread count to 1 afterwards leaves them spinning in `sched_yield` on the cores qd uses. qd
///   shuts the pool down (`blas_thread_shutdown_`) before its first product.
/// - **Unknown CPUs get SSE3 kernels.** A DYNAMIC_ARCH OpenBLAS (Debian's) falls back to its
///   Prescott (SSE3) kernels on CPUs newer than itself: OpenBLAS 0.3.21 does so on Intel Emerald
///   Rapids and AMD Zen 5, where `sgemm` then runs several times slower. When the chosen family
///   lacks vector extensions the CPU has, qd re-initialises OpenBLAS with `SkylakeX` (AVX-512) or
///   `Haswell` (AVX2 + FMA), as `OPENBLAS_CORETYPE` would.
///
/// Setting `OPENBLAS_CORETYPE` yourself overrides the second correction.
public enum BLASRuntime {
    /// The kernel family OpenBLAS uses (`openblas_get_corename`), after qd's correction.
    public static var coreName: String { _ = ready; return currentCoreName() }

    /// The family OpenBLAS chose by itself, when qd replaced it (nil when it kept it).
    public static var replacedCoreName: String? { _ = ready; return replaced }

    /// Whether OpenBLAS's worker pool is running (its exported `blas_server_avail`); nil when this
    /// OpenBLAS does not say. After qd's set-up it is false.
    public static var workerPoolRunning: Bool? {
        _ = ready
        return dlsym(nil, "blas_server_avail").map { $0.load(as: Int32.self) != 0 }
    }

    /// Whether this OpenBLAS can switch kernel families at run time (a DYNAMIC_ARCH build).
    public static var canChooseKernels: Bool { symbol("gotoblas_dynamic_init") != nil }

    /// The vector class of the CPU this process runs on, from `/proc/cpuinfo`.
    public static var cpuVectorClass: VectorClass { VectorClass.ofThisCPU() }

    /// Vector extensions, ordered: a kernel family of a lower class wastes a CPU of a higher one.
    public enum VectorClass: Int, Comparable, Sendable {
        /// SSE only (or unknown).
        case sse = 0
        /// AVX2 and FMA (Intel Haswell, AMD Zen 1 and later).
        case avx2 = 1
        /// AVX-512 F, CD, BW, DQ and VL (Intel Skylake-SP and later, AMD Zen 4 and later).
        case avx512 = 2

        public static func < (a: VectorClass, b: VectorClass) -> Bool { a.rawValue < b.rawValue }

        /// The class an OpenBLAS kernel family (`openblas_get_corename`) is written for.
        public static func ofCore(_ name: String) -> VectorClass {
            switch name.lowercased() {
            case "skylakex", "cooperlake", "sapphirerapids": return .avx512
            case "haswell", "zen", "excavator": return .avx2
            default: return .sse
            }
        }

        /// The class of a CPU with these `/proc/cpuinfo` flags.
        public static func ofFlags(_ flags: Set<Substring>) -> VectorClass {
            if ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) { return .avx512 }
            if flags.contains("avx2") && flags.contains("fma") { return .avx2 }
            return .sse
        }

        static func ofThisCPU() -> VectorClass {
            guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
                  let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return .sse }
            return ofFlags(Set(line.split(separator: " ")))
        }

        /// The OpenBLAS kernel family qd asks for on a CPU of this class.
        var coreType: String? {
            switch self {
            case .avx512: return "SkylakeX"
            case .avx2: return "Haswell"
            case .sse: return nil
            }
        }
    }

    /// Evaluated once, before the first BLAS call.
    static let ready: Void = configure()
    nonisolated(unsafe) private static var replaced: String?

    private static func configure() {
        // in this order: setting the thread count restarts a pool that was shut down
        openblas_set_num_threads(1)
        shutDownWorkerPool()
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil else { return }
        let chosen = currentCoreName()
        let cpu = VectorClass.ofThisCPU()
        guard VectorClass.ofCore(chosen) < cpu, let wanted = cpu.coreType,
              let quit = symbol("gotoblas_dynamic_quit"), let initialise = symbol("gotoblas_dynamic_init") else { return }
        setenv("OPENBLAS_CORETYPE", wanted, 1)
        quit()
        initialise()
        unsetenv("OPENBLAS_CORETYPE")
        replaced = chosen
    }

    /// Stops OpenBLAS's worker threads (pthread builds export `blas_thread_shutdown_`); with one
    /// thread per call (set first) it never starts them again.
    private static func shutDownWorkerPool() {
        typealias Shutdown = @convention(c) () -> Int32
        guard let pointer = dlsym(nil, "blas_thread_shutdown_") else { return }
        _ = unsafeBitCast(pointer, to: Shutdown.self)()
    }

    private static func symbol(_ name: String) -> (@convention(c) () -> Void)? {
        dlsym(nil, name).map { unsafeBitCast($0, to: (@convention(c) () -> Void).self) }
    }

    private static func currentCoreName() -> String {
        openblas_get_corename().map { String(cString: $0) } ?? "unknown"
    }
}
