import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

/// Fault family 1: the collector process is SIGKILLed mid-stream, again and again, and started again.
@Suite(.serialized) struct CollectorKillTests {
    @Test func everyLineArrivesExactlyOnceThroughTenCollectorKills() async throws {
        let fixture = try FaultFixture(agent: "edge-ck")
        defer { fixture.remove() }
        let started = ContinuousClock.now
        let agentPort = try ChildProcess.freePort()
        let httpPort = try ChildProcess.freePort()
        let collector = try fixture.collectorDaemon(agentPort: agentPort, httpPort: httpPort)
        try collector.start()
        defer { Task { await collector.kill() } }

        let total = 30_000
        let log = fixture.file("app.log")
        let writer = try NumberedLines(appendingTo: log, count: total, perSecond: 5_000)
        let agent = try AgentHarness(
            config: fixture.agentConfig(
                collectorPort: agentPort,
                sources: [SourceConfig(name: "app", kind: .file(path: log, parser: .text))]
            )
        )
        let kills = 10
        for _ in 0..<kills {
            try await Task.sleep(for: randomDelay(200...700))
            await collector.kill()
            try await Task.sleep(for: randomDelay(20...300))
            try collector.start()
        }
        _ = try await writer.finished()
        // A process killed by SIGTERM before it installed its handlers exits by the signal: wait for readiness.
        _ = await HTTPResponse.waitUntilReady(port: httpPort)
        let acknowledged = await eventually(timeout: .seconds(90)) {
            agent.metrics().sum("lepton_agent_records_acknowledged_total") >= Double(total)
        }
        try await agent.stop()
        let status = await collector.stop()
        #expect(status == 0, "collector exit status \(String(describing: status)): \(collector.logs.suffix(1500))")
        #expect(acknowledged, "not everything was acknowledged; collector: \(collector.logs.suffix(2000))")

        let delivery = try await fixture.delivery(stream: "app", produced: total)
        try FaultReport.record(
            FaultRun(
                family: 1,
                scenario: "collector SIGKILLed at random points, restarted (tail source)",
                faults: kills,
                delivery: delivery,
                seconds: (ContinuousClock.now - started).inSeconds,
                notes: "every batch resent after a kill is deduplicated by (agent, sequence)"
            )
        )
        #expect(delivery.isExactlyOnce, "\(delivery)")
    }
}
