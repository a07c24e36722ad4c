import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

/// Fault family 3: the link between agent and collector goes through a TCP proxy that black-holes, resets and
/// slows it, and finally cuts it for longer than the agent's spool can hold.
@Suite(.serialized) struct NetworkFaultTests {
    @Test func blackHoleResetAndSlowLinkLoseAndDoubleNothing() async throws {
        let fixture = try FaultFixture(agent: "edge-net")
        defer { fixture.remove() }
        let started = ContinuousClock.now
        let collector = try await CollectorHarness(
            pki: fixture.pki,
            databasePath: fixture.database,
            limits: .init(heartbeat: .seconds(1))
        )
        let proxy = try await FaultProxy(targetPort: collector.agentPort)
        let total = 24_000
        let log = fixture.file("app.log")
        let writer = try NumberedLines(appendingTo: log, count: total, perSecond: 2_000)
        let agent = try AgentHarness(
            config: fixture.agentConfig(
                collectorPort: proxy.port,
                sources: [SourceConfig(name: "app", kind: .file(path: log, parser: .text))]
            )
        )
        var faults = 0
        for mode in [FaultProxy.Mode.blackhole, .reset, .slow(bytesPerSecond: 16 << 10)] {
            try await Task.sleep(for: .seconds(1))
            await proxy.setModeAndWait(mode)
            faults += 1
            try await Task.sleep(for: .seconds(mode == .reset ? 1 : 4))
            await proxy.setModeAndWait(.pass)
        }
        _ = try await writer.finished()
        let acknowledged = await eventually(timeout: .seconds(60)) {
            agent.metrics().sum("lepton_agent_records_acknowledged_total") >= Double(total)
        }
        try await agent.stop()
        try await proxy.stop()
        try await collector.stop()
        #expect(acknowledged)

        let delivery = try await fixture.delivery(stream: "app", produced: total)
        try FaultReport.record(
            FaultRun(
                family: 3,
                scenario: "black hole 4 s, connection reset, slow link 16 KiB/s for 4 s (tail source)",
                faults: faults,
                delivery: delivery,
                seconds: (ContinuousClock.now - started).inSeconds,
                notes: "the agent notices the black hole after 3 silent heartbeats (1 s each) and reconnects"
            )
        )
        #expect(delivery.isExactlyOnce, "\(delivery)")
    }

    @Test func aCutLongerThanTheSpoolHoldsDropsExactlyTheOverflowAndCountsIt() async throws {
        let fixture = try FaultFixture(agent: "edge-cut")
        defer { fixture.remove() }
        let started = ContinuousClock.now
        let collector = try await CollectorHarness(pki: fixture.pki, databasePath: fixture.database)
        let proxy = try await FaultProxy(targetPort: collector.agentPort)
        let pipe = try StdinPipe()
        let agent = try AgentHarness(
            config: fixture.agentConfig(
                collectorPort: proxy.port,
                sources: [SourceConfig(name: "pipe", kind: .stdin(parser: .text), whenFull: .dropOldest)],
                spool: SpoolConfig(maxBytes: 256 << 10, segmentBytes: 16 << 10, fsync: .never),
                maxRecords: 100
            ),
            standardInput: pipe.read
        )
        // A little while connected, then the link is cut while far more than 256 KiB of batches are produced.
        let total = 30_000
        let lines = NumberedLines(descriptor: pipe.write, count: total, perSecond: 15_000, payloadBytes: 48)
        try await Task.sleep(for: .milliseconds(300))
        await proxy.setModeAndWait(.reset)
        _ = try await lines.finished()
        let overflowed = await eventually(timeout: .seconds(20)) {
            agent.metrics().sum("lepton_agent_records_dropped_total", where: ["source": "pipe"]) > 0
        }
        let spoolBytes = agent.metrics().value("lepton_agent_spool_bytes") ?? 0
        await proxy.setModeAndWait(.pass)
        close(pipe.write)
        // stdin ended: the agent ends by itself once the collector acknowledged everything left.
        try await agent.finished()
        let metrics = agent.metrics()
        try await proxy.stop()
        try await collector.stop()
        #expect(overflowed)
        #expect(spoolBytes <= Double(256 << 10) + Double(16 << 10), "the spool stays within max_bytes")

        let dropped = Int(metrics.sum("lepton_agent_records_dropped_total", where: ["source": "pipe"]))
        let delivery = try await fixture.delivery(stream: "pipe", produced: total)
        try FaultReport.record(
            FaultRun(
                family: 3,
                scenario: "link cut (reset) while 30,000 lines overflow a 256 KiB spool (stdin, drop_oldest)",
                faults: 1,
                delivery: delivery,
                droppedCounted: dropped,
                seconds: (ContinuousClock.now - started).inSeconds,
                notes: "whole oldest unsent segments are evicted and counted as spool_evicted"
            )
        )
        #expect(dropped > 0)
        #expect(delivery.duplicates == 0, "\(delivery)")
        #expect(delivery.missing == dropped, "every missing record is a counted drop: \(delivery), dropped \(dropped)")
    }
}
