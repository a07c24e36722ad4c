import LeptonCore
import Synchronization

/// Shares what the store absorbs among the connected agents, and turns each agent's share into credit.
///
/// Every period it measures the store (``CapacityEstimator``: committed bytes, the slowest commit, bytes waiting to
/// commit), takes the budget with headroom, and divides it by weighted max-min fairness (``FairShare``) among the
/// sessions: an agent that sends less than its share keeps what it sends, and the rest goes to the others. Each
/// session then earns credit at its rate into a bucket capped at its window; ACKs hand the bucket out, and a session
/// that spent its credit with no ACK to come gets a credit-only ACK at the next period. Every grant carries advice:
/// the agent's fair rate (what it would get if it sent more) and whether the store is saturated.
///
/// The credit an agent holds never exceeds its window (at least one frame, at most `credit_window_bytes`), so an
/// agent can never have more than that in flight whatever it does (the session refuses a batch beyond credit).
public final class CreditScheduler: Sendable {
    /// What one grant gives: credit, and the advice sent with it.
    public typealias Grant = SessionStateMachine.Grant

    /// One session as the API shows it.
    public struct SessionShare: Hashable, Sendable {
        public var session: UInt64
        public var agent: String
        public var weight: Double
        /// Credit earned per second now.
        public var grantedBytesPerSecond: Double
        /// Bytes received per second over the last period.
        public var usedBytesPerSecond: Double
        /// Advised rate: what it would get if it sent more.
        public var advisedBytesPerSecond: Double
        /// Credit it holds now (may send without waiting).
        public var heldCredit: Double
        /// Whether it used (nearly) all of its rate in the last period: it would have sent more with more credit.
        public var backlogged: Bool
    }

    /// The whole picture, for the API, the status page and metrics.
    public struct Snapshot: Hashable, Sendable {
        public var budgetBytesPerSecond: Double
        public var throughputBytesPerSecond: Double
        public var saturated: Bool
        public var queuedBytes: Int
        public var sessions: [SessionShare]
    }

    struct Settings: Sendable {
        var period: Duration
        var estimator: CapacityEstimator.Settings
        var initialBudget: Double
        /// The smallest window of a new session; it doubles each period the session holds a full window and sends
        /// nothing (it may be waiting to send a batch larger than its window), up to ``maximumWindow``.
        var minimumWindow: Double
        /// The largest window: `credit_window_bytes` (at least `max_frame_bytes`), so any admissible batch fits in
        /// the end.
        var maximumWindow: Double
        /// The window is this many seconds of the session's rate (within the bounds above).
        var windowSeconds: Double = 2
        /// A waiting session gets a credit-only ACK once it earned this much, half a period's rate, or a full window,
        /// whichever is least.
        var minimumGrant: Double = 64 * 1024
    }

    private struct Session {
        let agent: String
        let weight: Double
        let deliver: @Sendable (Grant) -> Void
        var held: Double
        /// The least window: starts at the initial credit; doubles while a full window goes unused.
        var floor: Double
        /// The largest batch received: the window is at least twice that.
        var largestBatch: Double = 0
        var tokens: Double = 0
        /// Until when `tokens` counts what the session earned.
        var accruedAt: ContinuousClock.Instant
        var usedThisPeriod: Double = 0
        var usedRate: Double = 0
        var rate: Double
        var advice: Double
        var backlogged = false
        /// An ACK is coming (a batch is being committed): no credit-only grant needed.
        var committing = false
    }

    private struct State {
        var estimator: CapacityEstimator
        var sessions: [UInt64: Session] = [:]
        /// The water level of the last allocation: fair rate per unit of weight.
        var level: Double
        var committedBytes = 0
        var slowestCommit: Duration = .zero
        var queuedBytes = 0
    }

    let settings: Settings
    private let state: Mutex<State>

    init(settings: Settings) {
        self.settings = settings
        let estimator = CapacityEstimator(settings: settings.estimator, initialBudget: settings.initialBudget)
        state = Mutex(State(estimator: estimator, level: settings.initialBudget))
    }

    /// A scheduler for `config`'s `backpressure` and `limits` sections.
    public convenience init(config: CollectorConfig) {
        var estimator = CapacityEstimator.Settings()
        estimator.targetCommitLatency = config.backpressure.targetCommitLatency
        estimator.maxQueuedBytes = config.backpressure.maxQueuedBytes / 2
        estimator.ceiling = config.backpressure.maxBytesPerSecond.map(Double.init)
        self.init(
            settings: Settings(
                period: config.backpressure.period,
                estimator: estimator,
                initialBudget: config.backpressure.maxBytesPerSecond.map(Double.init) ?? Self.unknownBudget,
                minimumWindow: Double(min(16 << 10, config.limits.maxFrameBytes)),
                maximumWindow: Double(max(config.limits.creditWindowBytes, config.limits.maxFrameBytes))
            )
        )
    }

    /// The budget before anything was measured: in effect no limit, until the store shows saturation.
    static let unknownBudget: Double = 1_073_741_824

    /// The credit a new session of `weight` starts with (WELCOME): the window of its fair rate now; the whole
    /// `credit_window_bytes` while the store keeps up.
    func initialCredit(weight: Double) -> UInt64 {
        state.withLock { state in
            UInt64(
                min(settings.maximumWindow, max(settings.minimumWindow, state.level * weight * settings.windowSeconds))
            )
        }
    }

    // MARK: Sessions

    /// A session was welcomed with `initialCredit` (``initialCredit(weight:)``). `deliver` sends a credit-only grant
    /// on its connection.
    func register(
        session: UInt64,
        agent: String,
        weight: Double,
        initialCredit: UInt64,
        now: ContinuousClock.Instant = .now,
        deliver: @escaping @Sendable (Grant) -> Void
    ) {
        state.withLock { state in
            let rate = state.level * weight
            state.sessions[session] = Session(
                agent: agent,
                weight: weight,
                deliver: deliver,
                held: Double(initialCredit),
                floor: max(settings.minimumWindow, Double(initialCredit)),
                accruedAt: now,
                rate: rate,
                advice: rate
            )
        }
    }

    func unregister(session: UInt64) {
        _ = state.withLock { $0.sessions.removeValue(forKey: session) }
    }

    /// A batch of `bytes` arrived (the agent spent that much credit); its commit starts.
    func received(session: UInt64, bytes: Int) {
        state.withLock { state in
            state.sessions[session]?.held -= Double(bytes)
            if let largest = state.sessions[session]?.largestBatch, Double(bytes) > largest {
                state.sessions[session]?.largestBatch = Double(bytes)
            }
            state.sessions[session]?.usedThisPeriod += Double(bytes)
            state.sessions[session]?.committing = true
        }
    }

    /// A batch's commit ended (stored, a duplicate, or failed) after `latency`; `bytes` were committed (0 if not).
    func committed(bytes: Int, latency: Duration) {
        state.withLock { state in
            state.committedBytes += bytes
            state.slowestCommit = max(state.slowestCommit, latency)
        }
    }

    /// The credit to return with the ACK of a batch of `session`: what it earned, up to its window.
    func grantWithAck(session: UInt64, now: ContinuousClock.Instant = .now) -> Grant {
        state.withLock { state in
            guard var entry = state.sessions[session] else {
                return Grant(credit: 0, advisedBytesPerSecond: 0, saturated: state.estimator.isSaturated)
            }
            entry.committing = false
            accrue(&entry, now: now)
            let credit = take(&entry)
            state.sessions[session] = entry
            return Grant(
                credit: credit,
                advisedBytesPerSecond: UInt64(min(entry.advice, Double(UInt64.max / 2))),
                saturated: state.estimator.isSaturated
            )
        }
    }

    /// The session's window: its rate over ``Settings/windowSeconds``, at least its floor and twice its largest
    /// batch, at most `credit_window_bytes`.
    private func window(_ session: Session) -> Double {
        min(
            settings.maximumWindow,
            max(session.floor, 2 * session.largestBatch, session.rate * settings.windowSeconds)
        )
    }

    /// Adds what the session earned at its rate since it last did, up to its window.
    private func accrue(_ session: inout Session, now: ContinuousClock.Instant) {
        let seconds = max(0, (now - session.accruedAt).inSeconds)
        session.tokens = min(session.tokens + session.rate * seconds, window(session))
        session.accruedAt = now
    }

    /// Moves earned credit to the session, up to its window; returns how much.
    private func take(_ session: inout Session) -> UInt64 {
        let room = max(0, window(session) - session.held)
        let credit = min(session.tokens, room).rounded(.down)
        guard credit > 0 else { return 0 }
        session.tokens -= credit
        session.held += credit
        return UInt64(credit)
    }

    // MARK: Periods

    /// Bytes received and waiting to commit, as the ingest gate counts them.
    func setQueuedBytes(_ bytes: Int) {
        state.withLock { $0.queuedBytes = bytes }
    }

    /// Ends a period of `elapsed`: measures the store, recomputes the budget and the shares, lets every session earn
    /// credit, and grants it to sessions that are waiting for it with no ACK to come. Returns how many it granted.
    @discardableResult
    func tick(elapsed: Duration, now: ContinuousClock.Instant = .now) -> Int {
        let seconds = max(elapsed.inSeconds, 1e-3)
        let deliveries: [(@Sendable (Grant) -> Void, Grant)] = state.withLock { state in
            var anyBacklogged = false
            var usedTotal = 0.0
            for (id, session) in state.sessions {
                var session = session
                accrue(&session, now: now)
                // A full window unused: idle, or waiting to send a batch larger than the window. Let it grow.
                if session.usedThisPeriod == 0 && session.held >= window(session) - 1 {
                    session.floor = min(settings.maximumWindow, session.floor * 2)
                }
                session.usedRate = session.usedThisPeriod / seconds
                // It used (nearly) all it was allotted, or it is left with almost no credit (waiting for more):
                // either way it would have sent more with more credit. An idle session keeps its credit.
                session.backlogged =
                    (session.usedThisPeriod > 0 && session.usedRate >= 0.9 * session.rate)
                    || session.held < min(settings.minimumGrant, window(session) / 2)
                session.usedThisPeriod = 0
                usedTotal += session.usedRate
                anyBacklogged = anyBacklogged || session.backlogged
                state.sessions[id] = session
            }
            state.estimator.observe(
                CapacityEstimator.Observation(
                    elapsed: elapsed,
                    committedBytes: state.committedBytes,
                    slowestCommit: state.slowestCommit,
                    queuedBytes: state.queuedBytes,
                    // Probe for more while agents are held back, or while they use most of the budget (agents
                    // that reduced their fidelity ask for no more than they are advised until the advice rises).
                    demandExceededBudget: anyBacklogged || usedTotal >= 0.8 * state.estimator.budget
                )
            )
            state.committedBytes = 0
            state.slowestCommit = .zero

            let ids = Array(state.sessions.keys)
            let demands = ids.map { id -> FairShareDemand in
                let session = state.sessions[id]!
                // A backlogged session takes whatever it gets; the others what they used, with room to grow.
                let demand = session.backlogged ? Double.infinity : session.usedRate * 1.25 + 1_024
                return FairShareDemand(weight: session.weight, demand: demand)
            }
            let budget = state.estimator.budget
            let rates = FairShare.allocate(capacity: budget, demands)
            // The water level: the rate per unit of weight of a session that could use more.
            var level = 0.0
            for (index, rate) in rates.enumerated() where demands[index].demand == .infinity {
                level = max(level, rate / demands[index].weight)
            }
            if level == 0 {
                let spare = budget - rates.reduce(0, +)
                let weights = demands.reduce(0) { $0 + $1.weight }
                level = weights > 0 ? (spare / weights + (rates.max() ?? 0)) : budget
            }
            state.level = level
            let saturated = state.estimator.isSaturated
            var deliveries: [(@Sendable (Grant) -> Void, Grant)] = []
            for (index, id) in ids.enumerated() {
                var session = state.sessions[id]!
                session.rate = rates[index]
                session.advice = max(rates[index], level * session.weight)
                session.tokens = min(session.tokens, window(session))
                if !session.committing {
                    let room = window(session) - session.held
                    // Not in crumbs: a grant of at least half a period's rate, or 64 KiB, or what fills the window.
                    let threshold = min(settings.minimumGrant, room, max(1, session.rate * seconds / 2))
                    if room > 0 && session.tokens >= threshold {
                        let credit = take(&session)
                        if credit > 0 {
                            let grant = Grant(
                                credit: credit,
                                advisedBytesPerSecond: UInt64(session.advice),
                                saturated: saturated
                            )
                            deliveries.append((session.deliver, grant))
                        }
                    }
                }
                state.sessions[id] = session
            }
            return deliveries
        }
        for (deliver, grant) in deliveries { deliver(grant) }
        return deliveries.count
    }

    /// The current budget, measurements and shares.
    public func snapshot() -> Snapshot {
        state.withLock { state in
            Snapshot(
                budgetBytesPerSecond: state.estimator.budget,
                throughputBytesPerSecond: state.estimator.throughput,
                saturated: state.estimator.isSaturated,
                queuedBytes: state.queuedBytes,
                sessions: state.sessions.map { id, session in
                    SessionShare(
                        session: id,
                        agent: session.agent,
                        weight: session.weight,
                        grantedBytesPerSecond: session.rate,
                        usedBytesPerSecond: session.usedRate,
                        advisedBytesPerSecond: session.advice,
                        heldCredit: session.held,
                        backlogged: session.backlogged
                    )
                }.sorted { $0.session < $1.session }
            )
        }
    }
}
