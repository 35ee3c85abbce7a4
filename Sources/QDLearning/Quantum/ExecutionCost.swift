import Foundation
import Synchronization

/// Circuit executions, the paper's cost metric: how many times the quantum layer's circuit runs.
///
/// On a simulator, training one image for one step costs one forward run and one adjoint sweep
/// (exact gradients for every angle, input and observable parameter at once; the sweep runs the
/// circuit forward again and then backward). On hardware, with
/// the parameter-shift rule, each image and step needs, for every measurement setting:
/// 1 forward run + 2 runs per trainable angle + 2 runs per embedding angle (the gradient that flows
/// back into the classical layers: amplitude embedding of 2^n real features is prepared by
/// 2^n − 1 RY rotations, angle embedding by one rotation per feature), while the Hermitian
/// readout's own gradient comes from the same measurements. A Hermitian on k wires is estimated from
/// the 3^k settings of X, Y, Z bases on its wires (all groups at once); Pauli Z needs 1. Each such
/// execution is repeated for the chosen number of shots.
public struct ExecutionCost: Equatable, Sendable {
    /// Forward runs on the simulator.
    public var simulatorForward: Int
    /// Adjoint sweeps on the simulator (one per image per gradient step).
    public var simulatorAdjoint: Int
    /// Circuit executions with the parameter-shift rule on hardware (before shots).
    public var parameterShift: Int

    /// A cost.
    public init(simulatorForward: Int, simulatorAdjoint: Int, parameterShift: Int) {
        self.simulatorForward = simulatorForward
        self.simulatorAdjoint = simulatorAdjoint
        self.parameterShift = parameterShift
    }

    /// The cost of `steps` gradient steps on `imagesPerStep` images each.
    public static func training(_ layer: QuantumLayer, imagesPerStep: Int, steps: Int, trainAngles: Bool = true) -> ExecutionCost {
        let images = imagesPerStep * steps
        // one rotation per feature, except that 2^n amplitudes take 2^n − 1 RY rotations
        let embeddingAngles = layer.embedding == .amplitude ? layer.featureCount - 1 : layer.featureCount
        let settings: Int
        switch layer.readout {
        case .pauliZ: settings = 1
        case .hermitian(let k): settings = Int(pow(3.0, Double(k)))     // X/Y/Z bases on each wire of a k-wire group
        }
        let perImage = settings * (1 + 2 * ((trainAngles ? layer.angleCount : 0) + embeddingAngles))
        return ExecutionCost(simulatorForward: images, simulatorAdjoint: images, parameterShift: images * perImage)
    }

    /// Executions counted on the native simulator by every quantum layer since the last reset.
    public static var measured: (forward: Int, adjoint: Int) { (forwardCount.load(ordering: .relaxed), adjointCount.load(ordering: .relaxed)) }

    /// Sets the measured counts to zero.
    public static func resetMeasured() {
        forwardCount.store(0, ordering: .relaxed)
        adjointCount.store(0, ordering: .relaxed)
    }

    static func record(forward: Int = 0, adjoint: Int = 0) {
        forwardCount.add(forward, ordering: .relaxed)
        adjointCount.add(adjoint, ordering: .relaxed)
    }

    private static let forwardCount = Atomic<Int>(0)
    private static let adjointCount = Atomic<Int>(0)
}
