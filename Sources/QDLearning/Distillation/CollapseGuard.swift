import Foundation

/// Watches a distillation run for collapse and says when to return to an earlier state.
///
/// A run can collapse: within a few dozen iterations its outer loss jumps to that of a uniform
/// guess and stays there, because the network trained on the distilled images no longer depends
/// on its input and the meta-gradient vanishes. At the end of each epoch the guard is given the
/// mean outer loss of the epoch's last quarter, m, and the epoch's last loss. With C classes:
/// - the epoch is **healthy** when m < ``healthyFraction``·ln C (0.9·ln C) and its last loss
///   < ln C: its state is kept (so a run whose loss still hovers near ln C, early on, never arms
///   the guard);
/// - it is **collapsed** when m ≥ ln C;
/// - anything in between leaves the guard as it was.
///
/// After ``patience`` collapsed epochs in a row the guard asks to return to the *trusted* state,
/// the one kept at the second-to-last healthy epoch (a whole healthy epoch followed it, so it is
/// not the start of the collapse itself), and halves ``rateScale``, the factor on the outer rate.
/// That state stays trusted until the run has had a healthy epoch after it. The state type is
/// generic so the guard can be tested on its own.
public struct CollapseGuard<State: Codable & Equatable>: Codable, Equatable {
    /// A kept state and the epoch (1-based, completed epochs) it was kept at.
    public struct Kept: Codable, Equatable {
        /// The epoch the state was kept at.
        public var epoch: Int
        /// The state.
        public var state: State

        /// `state`, kept at `epoch`.
        public init(epoch: Int, state: State) {
            self.epoch = epoch
            self.state = state
        }
    }

    /// The fraction of a uniform guess's loss, ln C, below which an epoch's tail mean counts as
    /// healthy. 0.9 arms the guard on CIFAR-10, whose healthy outer losses sit at 1.7 to 1.9
    /// (ln 10 = 2.30), while every recorded MNIST and CIFAR-10 run that did not collapse, and
    /// both MNIST runs it recovered, take the same decisions as with the first bar, ¾·ln C.
    public static var healthyFraction: Double { 0.9 }

    /// Collapsed epochs in a row after which the guard steps in: a spike that recovers by itself
    /// within an epoch is left alone.
    public static var patience: Int { 2 }

    /// The factor on the scheduled outer rate: 1, halved at every recovery.
    public private(set) var rateScale = 1.0
    /// The iterations after which the guard returned to a kept state.
    public private(set) var recoveries: [Int] = []
    /// The state kept at the last healthy epoch, and the one a guard would return to.
    private var latest: Kept?, trusted: Kept?
    /// Collapsed epochs in a row.
    private var collapsedEpochs = 0

    /// A guard that has seen nothing yet.
    public init() {}

    /// What to do after an epoch.
    public enum Decision: Equatable {
        /// Go on.
        case proceed
        /// Go back to `state` (kept at `epoch`); the rate scale is already halved.
        case restore(Kept)
    }

    /// Records the end of epoch `epoch` (completed epochs, after `iteration` iterations):
    /// `tailMean` is the mean outer loss of its last quarter, `lastLoss` its last loss, `state`
    /// the distiller's state now (kept only if the epoch is healthy), `classes` C.
    public mutating func endEpoch(_ epoch: Int, iteration: Int, tailMean: Double, lastLoss: Double, classes: Int,
                                  state: @autoclosure () -> State) -> Decision {
        let uniform = log(Double(classes))
        if tailMean < Self.healthyFraction * uniform, lastLoss < uniform {
            trusted = latest
            latest = Kept(epoch: epoch, state: state())
            collapsedEpochs = 0
            return .proceed
        }
        guard tailMean >= uniform else { return .proceed }
        collapsedEpochs += 1
        guard collapsedEpochs >= Self.patience, let target = trusted else { return .proceed }
        latest = target
        collapsedEpochs = 0
        rateScale /= 2
        recoveries.append(iteration)
        return .restore(target)
    }
}
