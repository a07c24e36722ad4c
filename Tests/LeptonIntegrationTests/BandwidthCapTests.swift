import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

/// `bandwidth.max_bytes_per_second`: an agent on a metered link never sends faster than its cap (one second of
/// burst allowed), holds the rest in its spool, and everything still arrives once.
@Suite struct BandwidthCapTests {
    @Test func theAgentNeverSendsFasterThanItsCap() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: ["edge-cap"])
        let log = directory.file("app.log")
        // 4,000 lines of ~100 bytes that zlib cannot shrink much: far more than 3 s at 16 KiB/s.
        var random = SplitMix64(seed: 9)
        let lines = (1...4_000).map { number in
            "\(number) " + String((0..<90).map { _ in Character(UnicodeScalar(UInt8(97 + random.next() % 26))) })
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        // A collector that never counts itself saturated, so its credit cannot be what slows the agent: the cap is.
        var backpressure = BackpressureConfig()
        backpressure.targetCommitLatency = .seconds(3_600)
        let collector = try await CollectorHarness(
            pki: pki,
            databasePath: directory.file("lepton.db"),
            backpressure: backpressure
        )
        let cap = 16 << 10
        var config = AgentHarness.config(
            id: "edge-cap",
            pki: pki,
            collectorPort: collector.agentPort,
            stateDirectory: directory.file("agent"),
            sources: [SourceConfig(name: "app", kind: .file(path: log, parser: .text))],
            batch: BatchConfig(maxRecords: 50, maxBytes: 1 << 20, linger: .milliseconds(20))
        )
        config.maxBytesPerSecond = cap
        let started = ContinuousClock.now
        let agent = try AgentHarness(config: config)
        try await Task.sleep(for: .seconds(3))
        let sent = agent.metrics().sum("lepton_agent_wire_bytes_sent_total")
        let elapsed = (ContinuousClock.now - started).inSeconds
        // The bucket starts full (one second of the cap), then refills at the cap.
        #expect(sent <= Double(cap) * (elapsed + 1), "sent \(sent) bytes in \(elapsed) s")
        #expect(sent > 0)

        let acknowledged = await eventually(timeout: .seconds(120)) {
            agent.metrics().sum("lepton_agent_records_acknowledged_total") >= 4_000
        }
        #expect(acknowledged)
        let total = agent.metrics().sum("lepton_agent_wire_bytes_sent_total")
        let took = (ContinuousClock.now - started).inSeconds
        #expect(total <= Double(cap) * (took + 1), "sent \(total) bytes in \(took) s")
        // The file is read in well under the ~15 s its bytes take at the cap: batches had to wait for the bucket.
        #expect(agent.metrics().sum("lepton_agent_batches_paced_total") > 0)
        try await agent.stop()
        let texts = try await StoredRecords.texts(
            database: directory.file("lepton.db"),
            agent: "edge-cap",
            stream: "app"
        )
        #expect(DeliveryCount(stored: texts, produced: 4_000).isExactlyOnce)
        try await collector.stop()
    }
}
