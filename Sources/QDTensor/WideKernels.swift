import CWideKernels

/// The AVX-512 convolution kernels (CWideKernels): used on CPUs that have AVX-512F, for Float
/// tensors, by LeNet-style layers: ``ChannelLaneConvolution``'s forward pass, input gradient and
/// weight gradient (sixteen outputs), and ``DirectConvolution``'s forward pass (few channels). They
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
}
