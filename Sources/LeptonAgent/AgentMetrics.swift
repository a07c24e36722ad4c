import LeptonCore
import LeptonRuntime
import Prometheus

/// The agent's Prometheus metrics, created once per agent.
///
/// The per-source record counts (produced, acknowledged, dropped by reason) are also kept in a ledger, from which
/// `statsSnapshot(pending:)` builds the STATS frame the agent sends the collector.
public struct AgentMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Wall-clock nanoseconds since the epoch when these metrics were made: when the agent process started.
    let startedAt: UInt64
    let ledger = RecordLedger()
    let fidelity: FidelityLedger
    let batchesSealed: Counter
    let batchesAcknowledged: Counter
    let wireBytesSent: Counter
    let connectionAttempts: Counter
    let connected: Gauge
    let spoolBytes: Gauge
    let spoolBatches: Gauge
    let spoolDamagedBytes: Counter
    /// The collector's advice in its last ACK (wire protocol §5.3).
    let advisedBytesPerSecond: Gauge
    let collectorSaturated: Gauge
    /// Batches that waited for `bandwidth.max_bytes_per_second`.
    let batchesPaced: Counter

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        fidelity = FidelityLedger(registry: registry)
        startedAt = UInt64(clamping: wallClockNanoseconds())
        batchesSealed = registry.counter("lepton_agent_batches_sealed_total", help: "Batches sealed by the batcher.")
        batchesAcknowledged = registry.counter(
            "lepton_agent_batches_acknowledged_total",
            help: "Batches the collector acknowledged."
        )
        wireBytesSent = registry.counter("lepton_agent_wire_bytes_sent_total", help: "BATCH payload bytes written.")
        connectionAttempts = registry.counter(
            "lepton_agent_connection_attempts_total",
            help: "Connection attempts to the collector."
        )
        connected = registry.gauge("lepton_agent_connected", help: "1 while a session with the collector is up.")
        spoolBytes = registry.gauge("lepton_agent_spool_bytes", help: "Bytes of spool segment files on disk.")
        advisedBytesPerSecond = registry.gauge(
            "lepton_agent_advised_bytes_per_second",
            help: "The fair rate the collector advised in its last ACK (0: no advice)."
        )
        collectorSaturated = registry.gauge(
            "lepton_agent_collector_saturated",
            help: "1 while the collector's last ACK said its store is saturated, else 0."
        )
        batchesPaced = registry.counter(
            "lepton_agent_batches_paced_total",
            help: "Batches that waited for bandwidth.max_bytes_per_second before being sent."
        )
        spoolBatches = registry.gauge(
            "lepton_agent_spool_batches",
            help: "Batches in the spool waiting for the collector's ACK."
        )
        spoolDamagedBytes = registry.counter(
            "lepton_agent_spool_damaged_bytes_total",
            help: "Spool bytes skipped because they were damaged (corrupt or truncated)."
        )
    }

    /// Damaged stretches found in the spool, by kind (`corrupt`, `truncated`, `missing_segment`).
    func spoolDamage(kind: String) -> Counter {
        registry.counter(
            "lepton_agent_spool_damage_total",
            help: "Damaged stretches found in the spool, by kind.",
            labels: [("kind", kind)]
        )
    }

    /// Sensor files that could not be read at a sampling tick.
    func sensorReadErrors(source: String) -> Counter {
        registry.counter(
            "lepton_agent_sensor_read_errors_total",
            help: "Sensor files that could not be read at a sampling tick.",
            labels: [("source", source)]
        )
    }

    /// Counter resets seen by `mode: rate` sensors (no rate is emitted for that read).
    func counterResets(source: String) -> Counter {
        registry.counter(
            "lepton_agent_sensor_counter_resets_total",
            help: "Counters that went backwards without a wrap (a reset); no rate for that read.",
            labels: [("source", source)]
        )
    }

    /// Command runs of an `exec` source that failed (could not start, non-zero exit, killed at the timeout).
    func commandFailures(source: String, reason: String) -> Counter {
        registry.counter(
            "lepton_agent_exec_failures_total",
            help: "Command runs that failed, by source and reason (start, exit, timeout, output).",
            labels: [("source", source), ("reason", reason)]
        )
    }

    /// Files a `file` source follows now.
    func filesFollowed(source: String) -> Gauge {
        registry.gauge(
            "lepton_agent_files_followed",
            help: "Files a file source follows now.",
            labels: [("source", source)]
        )
    }

    /// Files a `file` source's patterns match but that it does not follow, being at its limit of files.
    func filesOverLimit(source: String) -> Gauge {
        registry.gauge(
            "lepton_agent_files_over_limit",
            help: "Files matched but not followed because the source follows its maximum number of files.",
            labels: [("source", source)]
        )
    }

    /// Lines cut at the maximum line length (the record is kept, shortened).
    func truncatedLines(source: String) -> Counter {
        registry.counter(
            "lepton_agent_lines_truncated_total",
            help: "Lines cut at the maximum line length.",
            labels: [("source", source)]
        )
    }

    // MARK: - Record accounting (Prometheus and the ledger)

    /// Counts records read by a source. A count of 0 makes the series appear.
    func produced(_ count: Int, source: String) {
        registry.counter("lepton_agent_records_total", help: "Records read, by source.", labels: [("source", source)])
            .increment(by: Int64(count))
        ledger.add(produced: count, source: source)
    }

    /// A batch sealed: counts it, and its compressed bytes and records by source and batch encoding, so that
    /// bytes per sample on the edge link can be read (`sealed_bytes / sealed_records`).
    func sealed(_ frame: Message.BatchFrame, records: Int, source: String, encoding: BatchEncoding) {
        batchesSealed.increment()
        let labels = [("source", source), ("encoding", encoding == .columnarV1 ? "columnar" : "row")]
        registry.counter(
            "lepton_agent_sealed_bytes_total",
            help: "BATCH payload bytes sealed (compressed), by source and batch encoding.",
            labels: labels
        ).increment(by: Int64(frame.wireSize))
        registry.counter(
            "lepton_agent_sealed_records_total",
            help: "Records in sealed batches, by source and batch encoding.",
            labels: labels
        ).increment(by: Int64(records))
        registry.gauge(
            "lepton_agent_bytes_per_record",
            help: "BATCH payload bytes per record of the source's last sealed batch.",
            labels: [("source", source)]
        ).set(Double(frame.wireSize) / Double(max(records, 1)))
    }

    /// Counts records of a source in batches the collector acknowledged.
    func acknowledged(_ count: Int, source: String) {
        registry.counter(
            "lepton_agent_records_acknowledged_total",
            help: "Records in batches the collector acknowledged, by source.",
            labels: [("source", source)]
        ).increment(by: Int64(count))
        ledger.add(acknowledged: count, source: source)
    }

    /// Counts records dropped, by source and reason (`parse_error`, `oversized_batch`, `spool_full`,
    /// `spool_evicted`, `spool_corrupt`, `spool_write_error`, `rejected`, `shutdown`). A count of
    /// 0 makes the series appear.
    func dropped(_ count: Int, source: String, reason: String) {
        registry.counter(
            "lepton_agent_records_dropped_total",
            help: "Records dropped, by source and reason.",
            labels: [("source", source), ("reason", reason)]
        ).increment(by: Int64(count))
        ledger.add(dropped: count, source: source, reason: reason)
    }

    /// The STATS frame for the collector: every source counted so far or holding batches in the spool, sorted by
    /// name, with its drop reasons sorted by name (at most `Message.Stats.maxSources` and `maxReasons`), and the
    /// levels of the sources with a fidelity ladder.
    /// - Parameter pending: records held in the spool awaiting an ACK, by source (`Spool.pendingRecords()`).
    func statsSnapshot(pending: [String: Int]) -> Message.Stats {
        let counts = ledger.snapshot
        let names = Set(counts.keys).union(pending.keys).sorted()
        let sources = names.prefix(Message.Stats.maxSources).map { name -> Message.Stats.SourceStats in
            let entry = counts[name] ?? RecordLedger.Counts()
            let dropped = entry.dropped.sorted { $0.key < $1.key }.prefix(Message.Stats.maxReasons)
            return Message.Stats.SourceStats(
                source: name,
                produced: entry.produced,
                acknowledged: entry.acknowledged,
                pending: UInt64(max(pending[name] ?? 0, 0)),
                dropped: dropped.map { Message.Stats.Drop(reason: $0.key, count: $0.value) }
            )
        }
        return Message.Stats(startedAt: startedAt, sources: sources, fidelity: fidelity.report)
    }
}
