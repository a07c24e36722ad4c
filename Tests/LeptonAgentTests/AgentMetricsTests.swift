import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct AgentMetricsTests {
    /// The value of one series as `/metrics` renders it; nil when the series does not exist.
    private static func value(_ metrics: AgentMetrics, _ series: String) -> Double? {
        for line in metrics.registry.emitToString().split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test func recordCountsGoToPrometheusAndToTheStatsSnapshot() {
        let before = UInt64(wallClockNanoseconds())
        let metrics = AgentMetrics()
        metrics.produced(10, source: "app")
        metrics.produced(5, source: "app")
        metrics.dropped(2, source: "app", reason: "parse_error")
        metrics.dropped(1, source: "app", reason: "spool_full")
        metrics.dropped(1, source: "app", reason: "parse_error")
        metrics.acknowledged(8, source: "app")
        metrics.produced(0, source: "load")

        #expect(Self.value(metrics, "lepton_agent_records_total{source=\"app\"}") == 15)
        #expect(Self.value(metrics, "lepton_agent_records_total{source=\"load\"}") == 0)
        #expect(Self.value(metrics, "lepton_agent_records_acknowledged_total{source=\"app\"}") == 8)
        #expect(Self.value(metrics, "lepton_agent_records_dropped_total{source=\"app\",reason=\"parse_error\"}") == 3)
        #expect(Self.value(metrics, "lepton_agent_records_dropped_total{source=\"app\",reason=\"spool_full\"}") == 1)

        // "old" only holds batches recovered from the spool: it appears, with nothing counted yet.
        let stats = metrics.statsSnapshot(pending: ["app": 3, "old": 40])
        #expect(stats.startedAt >= before && stats.startedAt <= UInt64(wallClockNanoseconds()))
        #expect(
            stats.sources == [
                Message.Stats.SourceStats(
                    source: "app",
                    produced: 15,
                    acknowledged: 8,
                    pending: 3,
                    dropped: [
                        Message.Stats.Drop(reason: "parse_error", count: 3),
                        Message.Stats.Drop(reason: "spool_full", count: 1),
                    ]
                ),
                Message.Stats.SourceStats(source: "load", produced: 0, acknowledged: 0, pending: 0, dropped: []),
                Message.Stats.SourceStats(source: "old", produced: 0, acknowledged: 0, pending: 40, dropped: []),
            ]
        )
        // The same process start in every report.
        #expect(metrics.statsSnapshot(pending: [:]).startedAt == stats.startedAt)
    }

    @Test func snapshotStaysWithinTheFrameLimits() {
        let metrics = AgentMetrics()
        for index in 0..<(Message.Stats.maxSources + 10) {
            metrics.produced(1, source: "s\(10_000 + index)")
        }
        for reason in 0..<(Message.Stats.maxReasons + 4) {
            metrics.dropped(1, source: "s10000", reason: "r\(reason)")
        }
        let stats = metrics.statsSnapshot(pending: [:])
        #expect(stats.sources.count == Message.Stats.maxSources)
        #expect(stats.sources.first?.source == "s10000")
        #expect(stats.sources.first?.dropped.count == Message.Stats.maxReasons)
    }
}
