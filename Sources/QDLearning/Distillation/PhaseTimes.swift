import Foundation

/// Wall-clock seconds of the three phases of one meta-gradient (``Distiller``): the unrolled inner
/// steps, the real batch's forward and backward passes to θ_T, and the pass back through the inner
/// steps. What to look at first when an outer iteration is slow.
public struct DistillationPhaseTimes: Sendable, Equatable {
    /// The T inner steps, recorded for the meta-gradient.
    public var innerSteps: Double
    /// The outer loss on the real batch and its gradient with respect to θ_T.
    public var realBatch: Double
    /// The gradient carried back through the inner steps to the images, rates and labels.
    public var metaGradient: Double

    /// The three phases' seconds.
    public init(innerSteps: Double, realBatch: Double, metaGradient: Double) {
        (self.innerSteps, self.realBatch, self.metaGradient) = (innerSteps, realBatch, metaGradient)
    }

    /// Seconds since `start` (a `DispatchTime` reading in nanoseconds).
    static func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds &- start) / 1e9 }
}
