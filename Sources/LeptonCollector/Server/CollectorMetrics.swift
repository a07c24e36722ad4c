import LeptonRuntime
import Prometheus

/// The collector's Prometheus metrics, created once per collector.
public struct CollectorMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let records: Counter
    let batches: Counter
    let duplicateBatches: Counter
    let sequenceGaps: Counter
    let sequenceGapNumbers: Counter
    let compressedBytes: Counter
    let rawBytes: Counter
    let sessions: Gauge
    let agentReports: Counter
    let commitSeconds: DurationHistogram
    /// The credit scheduler's view (``CreditScheduler``), set every period.
    let budget: Gauge
    let storeThroughput: Gauge
    let saturated: Gauge
    let queuedBytes: Gauge
    let overloadedSessions: Counter
    let creditGrants: Counter
    private let rejects: [String: Counter]

    /// Reasons a connection or a batch is refused; the `reason` label of `lepton_collector_rejects_total`.
    public static let rejectReasons = [
        "tls_handshake", "identity_mismatch", "unsupported_version", "protocol_violation", "malformed_frame",
        "frame_too_large", "invalid_batch", "credit_exceeded", "storage_unavailable", "handshake_timeout",
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        records = registry.counter("lepton_collector_records_total", help: "Records committed to the store.")
        batches = registry.counter("lepton_collector_batches_total", help: "Batches committed to the store.")
        duplicateBatches = registry.counter(
            "lepton_collector_duplicate_batches_total",
            help: "Resent batches at or below the agent's high-water mark, acknowledged and not stored again."
        )
        // No agent label (thousands of agents): per-agent counts are in `/api/v1/agents`.
        sequenceGaps = registry.counter(
            "lepton_collector_sequence_gaps_total",
            help:
                "Stored batches whose sequence number jumped past the agent's high-water mark + 1 (expected after restarts)."
        )
        sequenceGapNumbers = registry.counter(
            "lepton_collector_sequence_gap_numbers_total",
            help: "Sequence numbers skipped by those jumps: unused by the agent, or batches it dropped or lost."
        )
        compressedBytes = registry.counter(
            "lepton_collector_received_bytes_total",
            help: "Batch bytes received, as sent on the wire and after decompression.",
            labels: [("form", "compressed")]
        )
        rawBytes = registry.counter(
            "lepton_collector_received_bytes_total",
            help: "Batch bytes received, as sent on the wire and after decompression.",
            labels: [("form", "raw")]
        )
        sessions = registry.gauge("lepton_collector_sessions", help: "Agent sessions past the handshake.")
        // No agent label either: the reports themselves are in `/api/v1/agents`.
        agentReports = registry.counter(
            "lepton_collector_agent_reports_total",
            help: "STATS frames received: agents reporting their record counts."
        )
        commitSeconds = registry.durationHistogram(
            "lepton_collector_commit_seconds",
            help: "Time to commit one batch to the store.",
            buckets: [
                .milliseconds(1), .milliseconds(5), .milliseconds(20), .milliseconds(100), .milliseconds(500),
                .seconds(2),
            ]
        )
        budget = registry.gauge(
            "lepton_collector_credit_budget_bytes_per_second",
            help: "What the store is thought to absorb (with headroom), shared among agents as credit."
        )
        storeThroughput = registry.gauge(
            "lepton_collector_store_throughput_bytes_per_second",
            help: "Batch bytes committed per second (exponentially weighted)."
        )
        saturated = registry.gauge(
            "lepton_collector_saturated",
            help: "1 while the store is saturated (slow commits or too many bytes waiting), else 0."
        )
        queuedBytes = registry.gauge(
            "lepton_collector_queued_bytes",
            help: "Batch bytes received and not yet committed (bounded by backpressure.max_queued_bytes)."
        )
        overloadedSessions = registry.counter(
            "lepton_collector_sessions_deferred_total",
            help: "Sessions told to come back later (GOAWAY overloaded) by admission control."
        )
        creditGrants = registry.counter(
            "lepton_collector_credit_grants_total",
            help: "Credit-only ACKs sent to agents waiting for credit."
        )
        var rejects: [String: Counter] = [:]
        for reason in Self.rejectReasons {
            rejects[reason] = registry.counter(
                "lepton_collector_rejects_total",
                help: "Connections or batches refused, by reason.",
                labels: [("reason", reason)]
            )
        }
        self.rejects = rejects
    }

    func reject(_ reason: String) {
        rejects[reason]?.increment()
    }

    /// A stored batch skipped `skipped` sequence numbers after the agent's high-water mark.
    func sequenceGap(skipped: UInt64) {
        guard skipped > 0 else { return }
        sequenceGaps.increment()
        sequenceGapNumbers.increment(by: Int64(clamping: skipped))
    }
}
