/// Keeps the state of the epoch with the lowest mean outer loss, so a run that got worse late
/// (a partial collapse below the ``CollapseGuard``'s threshold, or noise at the end of the
/// schedule) can be evaluated at its best.
///
/// The outer loss of an epoch is measured on every real training image once (one epoch = one
/// pass over the shuffled training set), so its mean,
/// L̄ₑ = (1/|Eₑ|) Σ_{i ∈ Eₑ} ℓᵢ over the iterations i of epoch e,
/// is the run's own objective estimated on the whole training set: choosing by it uses no test
/// data. The state kept with L̄ₑ is the one at the end of epoch e. The state type is generic so
/// the keeper can be tested on its own.
public struct BestEpoch<State: Codable & Equatable>: Codable, Equatable {
    /// The best epoch so far: its number (1-based, completed epochs), its mean outer loss and the
    /// state at its end.
    public struct Kept: Codable, Equatable {
        /// The epoch.
        public var epoch: Int
        /// Its mean outer loss.
        public var meanLoss: Double
        /// The state at its end.
        public var state: State

        /// `state`, kept at the end of `epoch` with mean outer loss `meanLoss`.
        public init(epoch: Int, meanLoss: Double, state: State) {
            self.epoch = epoch
            self.meanLoss = meanLoss
            self.state = state
        }
    }

    /// The best epoch so far, or nil before the first completed epoch with a finite loss.
    public private(set) var best: Kept?

    /// A keeper that has seen nothing yet.
    public init() {}

    /// Records the end of epoch `epoch` with mean outer loss `meanLoss`; keeps `state` when the
    /// loss is finite and strictly lower than the best so far (so ties keep the earlier epoch).
    public mutating func endEpoch(_ epoch: Int, meanLoss: Double, state: @autoclosure () -> State) {
        guard meanLoss.isFinite, meanLoss < (best?.meanLoss ?? .infinity) else { return }
        best = Kept(epoch: epoch, meanLoss: meanLoss, state: state())
    }
}
