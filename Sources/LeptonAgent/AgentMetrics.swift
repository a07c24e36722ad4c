import LeptonRuntime
import Prometheus

/// The agent's Prometheus metrics, created once per agent.
public struct AgentMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let batchesSealed: Counter
    let batchesAcknowledged: Counter
    let wireBytesSent: Counter
    let connectionAttempts: Counter
    let connected: Gauge
    let spoolBytes: Gauge
    let spoolBatches: Gauge
    let spoolDamagedBytes: Counter

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
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
        spoolBatches = registry.gauge(
            "lepton_agent_spool_batches",
            help: "Batches in the spool waiting for the collector's ACK."
        )
        spoolDamagedBytes = registry.counter(
            "lepton_agent_spool_damaged_bytes_total",
            help: "Spool bytes skipped because they were damaged (corrupt or truncated)."
        )
    }

    /// Records of a source in batches the collector acknowledged.
    func recordsAcknowledged(source: String) -> Counter {
        registry.counter(
            "lepton_agent_records_acknowledged_total",
            help: "Records in batches the collector acknowledged, by source.",
            labels: [("source", source)]
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

    /// Records read by a source.
    func records(source: String) -> Counter {
        registry.counter("lepton_agent_records_total", help: "Records read, by source.", labels: [("source", source)])
    }

    /// Sensor files that could not be read at a sampling tick.
    func sensorReadErrors(source: String) -> Counter {
        registry.counter(
            "lepton_agent_sensor_read_errors_total",
            help: "Sensor files that could not be read at a sampling tick.",
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

    /// Records dropped, by source and reason (`parse_error`, `oversized_batch`, `sequence_reset`, `spool_full`,
    /// `spool_evicted`, `spool_corrupt`, `spool_write_error`, `shutdown`).
    func dropped(source: String, reason: String) -> Counter {
        registry.counter(
            "lepton_agent_records_dropped_total",
            help: "Records dropped, by source and reason.",
            labels: [("source", source), ("reason", reason)]
        )
    }
}
