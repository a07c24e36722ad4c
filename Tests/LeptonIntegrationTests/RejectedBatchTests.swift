import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

/// A batch the collector can never accept must not block the spool behind it.
@Suite struct RejectedBatchTests {
    @Test func aBatchRefusedAsInvalidIsDroppedAndCountedAndTheRestFlows() async throws {
        let fixture = try FaultFixture(agent: "edge-poison")
        defer { fixture.remove() }
        // This collector refuses batches over 4 KiB once decompressed.
        let collector = try await CollectorHarness(
            pki: fixture.pki,
            databasePath: fixture.database,
            limits: .init(maxBatchRawBytes: 4096)
        )
        let pipe = try StdinPipe()
        let agent = try AgentHarness(
            config: fixture.agentConfig(
                collectorPort: collector.agentPort,
                sources: [SourceConfig(name: "pipe", kind: .stdin(parser: .text))]
            ),
            standardInput: pipe.read
        )
        // One line of 10 KB, alone in its batch; then 100 small lines.
        let big = Array((String(repeating: "x", count: 10_000) + "\n").utf8)
        _ = big.withUnsafeBytes { write(pipe.write, $0.baseAddress, $0.count) }
        let sealed = await eventually(timeout: .seconds(20)) {
            agent.metrics().value("lepton_agent_batches_sealed_total") == 1
        }
        #expect(sealed, "the long line is sealed in a batch of its own")
        _ = try await NumberedLines(descriptor: pipe.write, closing: true, count: 100, perSecond: 10_000).finished()
        try await agent.finished()
        let metrics = agent.metrics()
        close(pipe.read)
        try await collector.stop()

        #expect(metrics.value("lepton_agent_records_dropped_total{source=\"pipe\",reason=\"rejected\"}") == 1)
        let delivery = try await fixture.delivery(stream: "pipe", produced: 100)
        #expect(delivery.isExactlyOnce, "\(delivery)")
    }
}
