import Foundation
import LeptonCollector
import LeptonCore
import LeptonTestSupport
import Testing

/// Fault family 6: the collector's store fails and slows down; nothing is acknowledged that was not committed,
/// and the agent keeps every refused batch until the store is back.
@Suite(.serialized) struct StorageFaultTests {
    @Test func failingAndSlowStorageNeverLosesOrDoublesABatch() async throws {
        let fixture = try FaultFixture(agent: "edge-store")
        defer { fixture.remove() }
        let started = ContinuousClock.now
        let sink = FlakySink(wrapping: try SQLiteSink(path: fixture.database))
        let collector = try await CollectorHarness(pki: fixture.pki, databasePath: fixture.database, sink: sink)
        let total = 12_000
        let log = fixture.file("app.log")
        let writer = try NumberedLines(appendingTo: log, count: total, perSecond: 2_500)
        let agent = try AgentHarness(
            config: fixture.agentConfig(
                collectorPort: collector.agentPort,
                sources: [SourceConfig(name: "app", kind: .file(path: log, parser: .text))]
            )
        )
        try await Task.sleep(for: .milliseconds(500))
        sink.failNextCommits(5)
        try await Task.sleep(for: .seconds(1))
        sink.setCommitDelay(.milliseconds(300))
        try await Task.sleep(for: .milliseconds(1500))
        sink.setCommitDelay(.zero)
        sink.setFailing(true)
        try await Task.sleep(for: .milliseconds(1500))
        sink.setFailing(false)
        _ = try await writer.finished()
        let acknowledged = await eventually(timeout: .seconds(60)) {
            agent.metrics().sum("lepton_agent_records_acknowledged_total") >= Double(total)
        }
        let refused = try await collector.metric("lepton_collector_rejects_total{reason=\"storage_unavailable\"}") ?? 0
        try await agent.stop()
        try await collector.stop()
        #expect(acknowledged)

        let delivery = try await fixture.delivery(stream: "app", produced: total)
        try FaultReport.record(
            FaultRun(
                family: 6,
                scenario: "5 failed commits, 300 ms commits for 1.5 s, store down for 1.5 s (tail source)",
                faults: sink.failedCommits,
                delivery: delivery,
                seconds: (ContinuousClock.now - started).inSeconds,
                notes:
                    "\(Int(refused)) batches refused with a retryable storage_unavailable error, kept and resent by the agent"
            )
        )
        #expect(sink.failedCommits >= 5)
        #expect(refused >= 5)
        #expect(delivery.isExactlyOnce, "\(delivery)")
    }
}
