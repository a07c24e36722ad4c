import LeptonCore

/// What the collector's store really absorbs, turned into a budget (bytes/s) that the scheduler shares among agents.
///
/// The store's capacity is not known in advance and changes with the disk, the database, vacuuming and the shape of
/// the data, so it is measured rather than configured. The rule is AIMD-like, after TCP's congestion control, but
/// the congestion signal comes from the store instead of from packet loss:
///
/// - while the store keeps up and agents are held back by credit, the budget grows by a constant factor each period
///   (`probe`), so a larger capacity is found in a few periods;
/// - when commits get slow or the queue of received-but-uncommitted bytes grows too long, the store is saturated:
///   the budget is what it was measured to absorb (`throughput × headroom`), so the queue drains instead of
///   settling at its bound, and the budget follows the store up and down while it stays saturated (a queue that
///   never empties, every agent with a batch waiting, must not pin it to the first and lowest measurement);
/// - otherwise the budget stays where it is: nothing is learnt about capacity when nobody asks for more.
///
/// Unlike TCP, the cut goes to the measured rate rather than a fixed fraction of the budget: the measurement is at
/// hand, and it lands at the right level in one step even after the budget ran far ahead of the store.
///
/// The estimator is a pure value without a clock: the caller feeds it one ``Observation`` per period.
public struct CapacityEstimator: Sendable {
    /// The thresholds and factors of the estimator; the defaults suit a local SQLite or PostgreSQL store.
    public struct Settings: Hashable, Sendable {
        /// Commits slower than this (the period's slowest) mean the store is saturated.
        public var targetCommitLatency: Duration = .milliseconds(250)
        /// Bytes waiting to be committed (received, not yet committed) beyond this mean saturation.
        public var maxQueuedBytes: Int = 64 << 20
        /// The budget never goes below this (bytes/s), so agents always make some progress, and a store that
        /// recovers is noticed. It wins over a lower `ceiling`.
        public var minimumBudget: Double = 4 * 1024
        /// Configured ceiling (bytes/s), nil = none.
        public var ceiling: Double? = nil
        /// When saturated: budget = measured throughput × headroom. Below 1, so that the queue that built up
        /// while saturated drains.
        public var headroom: Double = 0.9
        /// When not saturated and agents want more than the budget: budget × probe per period.
        public var probe: Double = 1.25

        public init() {}
    }

    /// What happened during one period.
    public struct Observation: Hashable, Sendable {
        /// The length of the period; a period that is not positive is ignored (it carries no rate).
        public var elapsed: Duration
        /// Wire bytes of the batches committed during the period.
        public var committedBytes: Int
        /// The slowest commit of the period (zero if there was none).
        public var slowestCommit: Duration
        /// Bytes received but not yet committed, at the end of the period.
        public var queuedBytes: Int
        /// Whether some agent was held back by credit during the period: the only sign that agents want more.
        public var demandExceededBudget: Bool

        public init(
            elapsed: Duration,
            committedBytes: Int,
            slowestCommit: Duration = .zero,
            queuedBytes: Int = 0,
            demandExceededBudget: Bool = false
        ) {
            self.elapsed = elapsed
            self.committedBytes = committedBytes
            self.slowestCommit = slowestCommit
            self.queuedBytes = queuedBytes
            self.demandExceededBudget = demandExceededBudget
        }
    }

    /// The weight of the newest period in ``throughput``: about the last three periods dominate, so one quiet or
    /// busy period does not swing the cut on saturation.
    static let throughputAlpha = 0.3

    public let settings: Settings
    /// The rate (bytes/s) the scheduler shares among agents, within `[minimumBudget, ceiling]`.
    public private(set) var budget: Double
    /// Whether the last observed period showed the store saturated (slow commits or too long a queue).
    public private(set) var isSaturated = false
    /// Exponentially weighted mean of committed bytes/s (alpha 0.3); 0 before the first observation.
    public private(set) var throughput: Double = 0
    /// Whether ``throughput`` holds a measurement yet: the first one is taken as is, not averaged with 0.
    private var hasThroughput = false

    /// - Parameter initialBudget: the budget before anything was measured (bytes/s), clamped to the settings'
    ///   bounds. Probing finds the real capacity from there within a few periods.
    public init(settings: Settings = Settings(), initialBudget: Double) {
        self.settings = settings
        self.budget = Self.clamp(initialBudget, settings)
    }

    /// Takes one period into account: updates ``throughput``, ``isSaturated`` and ``budget``.
    public mutating func observe(_ observation: Observation) {
        let seconds = observation.elapsed.inSeconds
        guard seconds > 0 else { return }
        let rate = Double(max(0, observation.committedBytes)) / seconds
        let alpha = Self.throughputAlpha
        throughput = hasThroughput ? alpha * rate + (1 - alpha) * throughput : rate
        hasThroughput = true

        isSaturated =
            observation.slowestCommit > settings.targetCommitLatency
            || observation.queuedBytes > settings.maxQueuedBytes
        if isSaturated {
            budget = throughput * settings.headroom
        } else if observation.demandExceededBudget {
            budget *= settings.probe
        }
        budget = Self.clamp(budget, settings)
    }

    /// Bounds a budget to `[minimumBudget, ceiling]`; the minimum wins if the ceiling is below it, so that agents
    /// are never stopped altogether. Written so that a NaN budget (from NaN settings) still ends within the bounds.
    private static func clamp(_ budget: Double, _ settings: Settings) -> Double {
        var bounded = budget
        if let ceiling = settings.ceiling, !(bounded <= ceiling) {
            bounded = ceiling
        }
        return bounded >= settings.minimumBudget ? bounded : settings.minimumBudget
    }
}
