import AsyncAlgorithms
import LeptonCore
import ServiceLifecycle

/// The collector's backpressure: the credit scheduler, the bound on bytes waiting to commit, and admission control,
/// built from the `backpressure` and `limits` sections.
public final class Backpressure: Sendable {
    public let scheduler: CreditScheduler
    let gate: IngestGate
    let admission: AdmissionControl
    let config: BackpressureConfig

    public init(config: CollectorConfig) {
        scheduler = CreditScheduler(config: config)
        gate = IngestGate(
            limit: config.backpressure.maxQueuedBytes,
            maxConcurrent: config.backpressure.maxConcurrentCommits
        )
        admission = AdmissionControl(
            perSecond: config.backpressure.sessionsPerSecond,
            burst: config.backpressure.sessionBurst
        )
        self.config = config.backpressure
    }

    /// The weight of agent `id` (`backpressure.weights`).
    func weight(of agent: String) -> Double { config.weight(of: agent) }
}

/// Ends a scheduler period every `backpressure.period`: budget, shares, grants to waiting agents, and metrics.
struct CreditTicker: Service {
    let backpressure: Backpressure
    let metrics: CollectorMetrics

    func run() async throws {
        let period = backpressure.config.period
        var last = ContinuousClock.now
        for await now in AsyncTimerSequence(interval: period, clock: .continuous).cancelOnGracefulShutdown() {
            let queued = backpressure.gate.queuedBytes
            backpressure.scheduler.setQueuedBytes(queued)
            let grants = backpressure.scheduler.tick(elapsed: now - last, now: now)
            last = now
            let snapshot = backpressure.scheduler.snapshot()
            metrics.budget.set(snapshot.budgetBytesPerSecond)
            metrics.storeThroughput.set(snapshot.throughputBytesPerSecond)
            metrics.saturated.set(Int64(snapshot.saturated ? 1 : 0))
            metrics.queuedBytes.set(Int64(queued))
            if grants > 0 { metrics.creditGrants.increment(by: Int64(grants)) }
        }
    }
}
