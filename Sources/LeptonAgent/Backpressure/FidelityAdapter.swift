import AsyncAlgorithms
import DequeModule
import LeptonCore
import Logging
import ServiceLifecycle
import Synchronization

/// Steers the sources' `fidelity` ladders. Once a second it tells ``FidelityController`` what the agent sees:
/// the bytes its sources seal per second, what it may send, how full the spool is, and whether the collector is
/// saturated. What it may send is the lowest of the collector's advised fair rate, `bandwidth.max_bytes_per_second`
/// and, while the spool holds a backlog (`backlog_high` or more), the rate the collector actually acknowledges:
/// advice is a share of what the collector believes it can take, and when the store takes less (its budget has a
/// floor) only the acknowledged rate tells.
/// The controller decides; this service shares the levels with the pipeline (``level(of:)``, applied at the
/// sources' next tick), logs each change, and publishes them to the metrics, the status endpoint and STATS.
///
/// Disconnected (or with a collector that acknowledges nothing) while the backlog grows, the acknowledged rate is 0,
/// so the ladders climb: a long outage then fills the spool with reduced records, and it covers a longer stretch of
/// time before `when_full` has to drop. After reconnecting, the levels come down once the backlog has drained.
final class FidelityAdapter: Service, Sendable {
    /// A source with a ladder, as configured.
    struct Ladder: Hashable, Sendable {
        var source: String
        var priority: Int
        var rungs: [String]
    }

    private struct State {
        var controller: FidelityController
        var ladders: [Ladder]
        /// BATCH payload bytes the sources sealed since the start.
        var sealedBytes: UInt64 = 0
        /// Sealed and acknowledged byte totals once a second, newest last, for the production and drain rates.
        var samples: Deque<Sample> = []
        /// Time at each level already added to the metrics, by source.
        var published: [String: [Duration]] = [:]
    }

    private struct Sample {
        var at: Duration
        var sealed: UInt64
        var acknowledged: UInt64
    }

    /// The production and drain rates are measured over this many seconds.
    static let rateWindow = 5

    private let state: Mutex<State>
    private let origin = ContinuousClock.now
    let spool: Spool
    let spoolCapacity: Int
    let link: ConnectionState
    let metrics: AgentMetrics
    let logger: Logger

    init(config: AgentConfig, spool: Spool, link: ConnectionState, metrics: AgentMetrics, logger: Logger) {
        let ladders = Self.ladders(config.sources)
        state = Mutex(
            State(
                controller: FidelityController(
                    streams: Self.streams(ladders),
                    settings: Self.settings(config.fidelity),
                    now: .zero
                ),
                ladders: ladders
            )
        )
        self.spool = spool
        self.spoolCapacity = config.spool.maxBytes
        self.link = link
        self.metrics = metrics
        self.logger = logger
        publish()
    }

    /// The rung `source` should be at now; 0 (raw) for a source without a ladder.
    func level(of source: String) -> Int {
        state.withLock { $0.controller.level(of: source) }
    }

    /// Counts a sealed batch's payload bytes toward the production rate.
    func sealed(bytes: Int) {
        state.withLock { $0.sealedBytes &+= UInt64(max(bytes, 0)) }
    }

    /// Applies a reloaded configuration: ladders, priorities and tuning. A source keeps its level, cut to its new
    /// ladder's length. (The bandwidth cap is read from the link: the one in force, which a reload changes at the
    /// next connection.)
    func reload(_ config: AgentConfig) {
        let ladders = Self.ladders(config.sources)
        let changes = state.withLock { state in
            state.ladders = ladders
            state.controller.settings = Self.settings(config.fidelity)
            return state.controller.update(streams: Self.streams(ladders), now: origin.duration(to: .now))
        }
        for change in changes { note(change, reason: "its ladder is shorter after a reload") }
        publish()
    }

    func run() async throws {
        let ticks = AsyncTimerSequence(interval: .seconds(1), clock: .continuous)
        for await _ in ticks.cancelOnGracefulShutdown() {
            let backlog = Double(await spool.heldBytes) / Double(max(spoolCapacity, 1))
            observe(backlogFraction: backlog, acknowledgedBytes: await spool.acknowledgedBytes)
        }
    }

    /// One observation: feeds the controller and reports what it changed.
    private func observe(backlogFraction: Double, acknowledgedBytes acknowledged: UInt64) {
        let now = origin.duration(to: .now)
        let advice = link.advice
        let (changes, observation) = state.withLock { state in
            state.samples.append(Sample(at: now, sealed: state.sealedBytes, acknowledged: acknowledged))
            while state.samples.count > Self.rateWindow + 1 { state.samples.removeFirst() }
            let first = state.samples.first!
            let seconds = (now - first.at) / .seconds(1)
            let rate = { (bytes: UInt64) in seconds > 0 ? Double(bytes) / seconds : 0 }
            let produced = rate(state.sealedBytes &- first.sealed)
            let backlogged = backlogFraction >= state.controller.settings.backlogHigh && seconds > 0
            let limits = [
                advice.map { Double($0.bytesPerSecond) }, link.bandwidthCap.map(Double.init),
                backlogged ? rate(acknowledged &- first.acknowledged) : nil,
            ]
            let observation = FidelityController.Observation(
                now: now,
                producedBytesPerSecond: produced,
                allowedBytesPerSecond: limits.compactMap { $0 }.min(),
                backlogFraction: backlogFraction,
                saturated: advice?.saturated ?? false
            )
            return (state.controller.observe(observation), observation)
        }
        for change in changes {
            let allowed = observation.allowedBytesPerSecond.map { "\(Self.whole($0)) B/s" } ?? "unknown"
            let produced = Self.whole(observation.producedBytesPerSecond)
            let spool = Self.whole(observation.backlogFraction * 100)
            note(change, reason: "producing \(produced) B/s, allowed \(allowed), spool \(spool)% full")
        }
        publish()
    }

    /// Logs one level change and counts it.
    private func note(_ change: FidelityController.LevelChange, reason: String) {
        let rungs = state.withLock { state in state.ladders.first { $0.source == change.stream }?.rungs ?? [] }
        let name = { (level: Int) in rungs.indices.contains(level) ? rungs[level] : "level \(level)" }
        let direction = change.to > change.from ? "up" : "down"
        logger.info(
            change.to > change.from ? "fidelity reduced" : "fidelity restored",
            metadata: [
                "source": "\(change.stream)", "from": "\(name(change.from))", "to": "\(name(change.to))",
                "reason": "\(reason)",
            ]
        )
        metrics.registry.counter(
            "lepton_agent_fidelity_changes_total",
            help: "Steps of a source's fidelity ladder, by source and direction (up: more reduced).",
            labels: [("source", change.stream), ("direction", direction)]
        ).increment()
    }

    /// Sets the level gauges and time counters, and the report STATS and the status endpoint show. Under the lock,
    /// so that the timer's and a reload's calls cannot publish out of order.
    private func publish() {
        state.withLock { state in
            var report: [Message.Stats.SourceFidelity] = []
            var published: [String: [Duration]] = [:]
            for ladder in state.ladders {
                let level = state.controller.level(of: ladder.source)
                // As many entries as rungs: the controller keeps one per level of every stream it knows.
                let time = state.controller.timeAtLevels(of: ladder.source)
                let before = state.published[ladder.source] ?? []
                metrics.registry.gauge(
                    "lepton_agent_fidelity_level",
                    help: "The rung of its fidelity ladder a source is at (0: raw), by source.",
                    labels: [("source", ladder.source)]
                ).set(Int64(level))
                for (index, (rung, spent)) in zip(ladder.rungs, time).enumerated() {
                    let added = spent - (index < before.count ? before[index] : .zero)
                    metrics.registry.counter(
                        "lepton_agent_fidelity_seconds_total",
                        help: "Time a source spent at each rung of its fidelity ladder, by source and rung.",
                        labels: [("source", ladder.source), ("level", "\(index)"), ("rung", rung)]
                    ).increment(by: max(added / .seconds(1), 0))
                }
                published[ladder.source] = time
                report.append(
                    Message.Stats.SourceFidelity(
                        source: ladder.source,
                        level: UInt8(clamping: level),
                        rungs: zip(ladder.rungs, time).map { rung, spent in
                            Message.Stats.Rung(name: rung, milliseconds: UInt64(max(spent / .milliseconds(1), 0)))
                        },
                        reduced: metrics.fidelity.reduced(source: ladder.source)
                    )
                )
            }
            // Sources no longer listed are forgotten, so one that comes back starts from its new count.
            state.published = published
            metrics.fidelity.report = report.sorted { $0.source < $1.source }
        }
    }

    /// A rate for the log, rounded; safe for any value (an advised rate comes off the wire).
    private static func whole(_ value: Double) -> Int64 {
        value.isFinite ? Int64(min(max(value, 0), 9e18).rounded()) : 0
    }

    private static func ladders(_ sources: [SourceConfig]) -> [Ladder] {
        sources.filter { $0.fidelity.count > 1 }.map {
            Ladder(source: $0.name, priority: $0.priority, rungs: $0.fidelity.map(\.name))
        }
    }

    private static func streams(_ ladders: [Ladder]) -> [FidelityController.Stream] {
        ladders.map { FidelityController.Stream(name: $0.source, priority: $0.priority, levels: $0.rungs.count) }
    }

    private static func settings(_ tuning: FidelityTuning) -> FidelityController.Settings {
        var settings = FidelityController.Settings()
        settings.raiseAfter = tuning.raiseAfter
        settings.lowerAfter = tuning.lowerAfter
        settings.backlogHigh = tuning.backlogHigh
        settings.backlogLow = tuning.backlogLow
        return settings
    }
}
