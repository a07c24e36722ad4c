import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

/// Fault family 5: the agent's disk budget is tiny and the collector is away; the agent keeps running, keeps
/// the spool within its bound, and counts every record it cannot keep.
@Suite(.serialized) struct SpoolFullTests {
    @Test func aTinySpoolKeepsTheAgentRunningAndCountsEveryDrop() async throws {
        let fixture = try FaultFixture(agent: "edge-full")
        defer { fixture.remove() }
        let started = ContinuousClock.now
        let port = try ChildProcess.freePort()
        let pipe = try StdinPipe()
        let maxBytes = 64 << 10
        let agent = try AgentHarness(
            config: fixture.agentConfig(
                collectorPort: port,
                sources: [SourceConfig(name: "pipe", kind: .stdin(parser: .text), whenFull: .dropNewest)],
                spool: SpoolConfig(maxBytes: maxBytes, segmentBytes: 8 << 10, fsync: .interval(.milliseconds(100))),
                maxRecords: 50
            ),
            standardInput: pipe.read
        )
        let total = 20_000
        _ = try await NumberedLines(descriptor: pipe.write, count: total, perSecond: 20_000, payloadBytes: 40)
            .finished()
        // 1 s of writing; the rest is a debug build under the load of the whole suite.
        let read = await eventually(timeout: .seconds(60)) {
            agent.metrics().value("lepton_agent_records_total{source=\"pipe\"}") == Double(total)
        }
        let during = agent.metrics()
        #expect(read, "the agent kept reading stdin")
        #expect((during.value("lepton_agent_spool_bytes") ?? .infinity) <= Double(maxBytes))
        #expect(during.sum("lepton_agent_records_dropped_total", where: ["reason": "spool_full"]) > 0)

        // The collector comes; stdin ends; the agent ships what it kept and ends by itself.
        let collector = try await CollectorHarness(pki: fixture.pki, databasePath: fixture.database, agentPort: port)
        close(pipe.write)
        try await agent.finished()
        let metrics = agent.metrics()
        close(pipe.read)
        try await collector.stop()

        let dropped = Int(metrics.sum("lepton_agent_records_dropped_total", where: ["source": "pipe"]))
        let delivery = try await fixture.delivery(stream: "pipe", produced: total)
        try FaultReport.record(
            FaultRun(
                family: 5,
                scenario: "64 KiB spool, collector away, 20,000 lines (stdin, drop_newest)",
                faults: 1,
                delivery: delivery,
                droppedCounted: dropped,
                seconds: (ContinuousClock.now - started).inSeconds,
                notes:
                    "the spool bound stands in for a full disk; a failed write (ENOSPC) is counted as spool_write_error"
            )
        )
        #expect(delivery.duplicates == 0 && delivery.outOfOrder == 0, "\(delivery)")
        #expect(delivery.missing == dropped, "\(delivery), dropped \(dropped)")
    }
}
