import CWideKernels

/// The AVX-512 convolution kernels (CWideKernels): used on CPUs that have AVX-512F, for Float
/// tensors, by LeNet-style layers: ``ChannelLaneConvolution``'s forward pass, input gradient and
/// weight gradient (sixteen outputs), and ``DirectConvolution``'s forward pass (few channels, and
/// through it the input gradient) and weight gradient (a multiple of six outputs). They
/// compute the same chains of fused multiply-adds in the same order as the AVX2 kernels the
/// package is built with, so results are bit for bit the same either way.
public enum WideKernels {
    /// Whether this CPU and OS run AVX-512F code.
    public static let available = qd_wide_kernels_available()

    /// Whether the AVX-512 kernels run (default: when ``available``). Setting it to true on a CPU
    /// without AVX-512 leaves it false.
    public static var enabled: Bool {
        get { isEnabled }
        set { isEnabled = newValue && available }
    }
    nonisolated(unsafe) private static var isEnabled = available

    /// Whether the wide kernels run for tensors of T: they are enabled and T is Float (Double
    /// tensors keep the Swift kernels).
    @inline(__always)
    static func run<T>(for _: T.Type) -> Bool { enabled && T.self == Float.self }

    /// `p` as a pointer to Float for a wide kernel: nil unless they ``run(for:)`` T.
    @inline(__always)
    static func floats<T>(_ p: UnsafePointer<T>) -> UnsafePointer<Float>? {
        run(for: T.self) ? UnsafeRawPointer(p).assumingMemoryBound(to: Float.self) : nil
    }

    /// ``floats(_:)`` for an output buffer.
    @inline(__always)
    static func floats<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float>? {
        run(for: T.self) ? UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self) : nil
    }
}
