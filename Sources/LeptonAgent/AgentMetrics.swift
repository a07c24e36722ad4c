import LeptonRuntime
import Prometheus

/// The agent's Prometheus metrics, created once per agent.
public struct AgentMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let batchesSealed: Counter
    let batchesAcknowledged: Counter
    let recordsAcknowledged: Counter
    let wireBytesSent: Counter
    let connectionAttempts: Counter
    let connected: Gauge
    let unackedBytes: Gauge
    let droppedOversized: Counter
    let droppedSequenceReset: Counter

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        batchesSealed = registry.counter("lepton_agent_batches_sealed_total", help: "Batches sealed by the batcher.")
        batchesAcknowledged = registry.counter(
            "lepton_agent_batches_acknowledged_total",
            help: "Batches the collector acknowledged."
        )
        recordsAcknowledged = registry.counter(
            "lepton_agent_records_acknowledged_total",
            help: "Records in batches the collector acknowledged."
        )
        wireBytesSent = registry.counter("lepton_agent_wire_bytes_sent_total", help: "BATCH payload bytes written.")
        connectionAttempts = registry.counter(
            "lepton_agent_connection_attempts_total",
            help: "Connection attempts to the collector."
        )
        connected = registry.gauge("lepton_agent_connected", help: "1 while a session with the collector is up.")
        unackedBytes = registry.gauge("lepton_agent_unacked_bytes", help: "Bytes of batches awaiting an ACK.")
        droppedOversized = Self.dropped(registry, source: "*", reason: "oversized_batch")
        droppedSequenceReset = Self.dropped(registry, source: "*", reason: "sequence_reset")
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

    /// Records dropped, by source and reason (`parse_error`, `oversized_batch`, `sequence_reset`).
    func dropped(source: String, reason: String) -> Counter {
        Self.dropped(registry, source: source, reason: reason)
    }

    private static func dropped(_ registry: PrometheusCollectorRegistry, source: String, reason: String) -> Counter {
        registry.counter(
            "lepton_agent_records_dropped_total",
            help: "Records dropped, by source and reason.",
            labels: [("source", source), ("reason", reason)]
        )
    }
}
