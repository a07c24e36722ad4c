import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

/// Fault family 4: the spool is damaged while the agent is stopped (a flipped byte, a truncated tail, a lost
/// header, a deleted segment). The next start skips and counts the damage and ships everything else.
@Suite(.serialized) struct SpoolDamageTests {
    static let total = 5_000

    /// Spools `total` stdin lines with no collector to send them to, then stops the agent; returns the
    /// spool's segment files in order.
    static func fillSpool(_ fixture: FaultFixture) async throws -> [String] {
        let pipe = try StdinPipe()
        var config = fixture.agentConfig(
            collectorPort: try ChildProcess.freePort(),
            sources: [SourceConfig(name: "pipe", kind: .stdin(parser: .text))],
            spool: SpoolConfig(maxBytes: 64 << 20, segmentBytes: 16 << 10, fsync: .always),
            maxRecords: 100
        )
        config.collector.shutdownTimeout = .milliseconds(200)
        let agent = try AgentHarness(config: config, standardInput: pipe.read)
        _ = try await NumberedLines(
            descriptor: pipe.write,
            closing: true,
            count: total,
            perSecond: 50_000,
            payloadBytes: 40
        ).finished()
        // fsync per batch; the rest is a debug build under the load of the whole suite.
        let spooled = await eventually(timeout: .seconds(60)) {
            let metrics = agent.metrics()
            return metrics.value("lepton_agent_records_total{source=\"pipe\"}") == Double(total)
                && metrics.value("lepton_agent_spool_batches") == metrics.value("lepton_agent_batches_sealed_total")
        }
        #expect(spooled, "the agent did not spool every batch")
        try await agent.stop()
        close(pipe.read)
        let directory = fixture.stateDirectory + "/spool/source-pipe"
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }.sorted()
            .map { directory + "/" + $0 }
    }

    /// Starts a collector on the port the agent will use and an agent whose stdin is already at its end: it ends
    /// by itself once the spool is empty. Returns the agent's metrics at the end.
    static func drain(_ fixture: FaultFixture) async throws -> PrometheusText {
        let collector = try await CollectorHarness(pki: fixture.pki, databasePath: fixture.database)
        let pipe = try StdinPipe()
        close(pipe.write)
        let agent = try AgentHarness(
            config: fixture.agentConfig(
                collectorPort: collector.agentPort,
                sources: [SourceConfig(name: "pipe", kind: .stdin(parser: .text))]
            ),
            standardInput: pipe.read
        )
        try await agent.finished()
        let metrics = agent.metrics()
        close(pipe.read)
        try await collector.stop()
        return metrics
    }

    static func flipByte(in path: String, at offset: Int) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        let byte = try handle.read(upToCount: 1)?.first ?? 0
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: [byte ^ 0x5A])
    }

    @Test func aFlippedPayloadByteAndATruncatedTailAreSkippedAndCountedExactly() async throws {
        let fixture = try FaultFixture(agent: "edge-dmg")
        defer { fixture.remove() }
        let started = ContinuousClock.now
        let segments = try await Self.fillSpool(fixture)
        try #require(segments.count >= 4, "expected several segments, got \(segments.count)")
        // A byte in the payload of the first batch of the second segment (its header stays intact).
        try Self.flipByte(in: segments[1], at: 200)
        // The last batch of the last segment cut short, as a power cut during the write would leave it.
        let last = try FileManager.default.attributesOfItem(atPath: segments[segments.count - 1])[.size] as! Int
        #expect(truncate(segments[segments.count - 1], off_t(last - 7)) == 0)

        let metrics = try await Self.drain(fixture)
        let dropped = Int(
            metrics.sum("lepton_agent_records_dropped_total", where: ["source": "pipe", "reason": "spool_corrupt"])
        )
        let delivery = try await fixture.delivery(stream: "pipe", produced: Self.total)
        try FaultReport.record(
            FaultRun(
                family: 4,
                scenario: "flipped payload byte + truncated last batch, agent stopped",
                faults: 2,
                delivery: delivery,
                droppedCounted: dropped,
                seconds: (ContinuousClock.now - started).inSeconds,
                notes: "each batch header has its own CRC-32C, so a damaged payload is counted by record"
            )
        )
        #expect(metrics.value("lepton_agent_spool_damage_total{kind=\"corrupt\"}") == 1)
        #expect(metrics.value("lepton_agent_spool_damage_total{kind=\"truncated\"}") == 1)
        #expect(dropped > 0 && dropped <= 200, "two batches of at most 100 records")
        #expect(delivery.duplicates == 0 && delivery.outOfOrder == 0, "\(delivery)")
        #expect(delivery.missing == dropped, "\(delivery), dropped \(dropped)")
    }

    @Test func aLostHeaderAndADeletedSegmentNeitherStallNorCrash() async throws {
        let fixture = try FaultFixture(agent: "edge-dmg2")
        defer { fixture.remove() }
        let started = ContinuousClock.now
        let segments = try await Self.fillSpool(fixture)
        try #require(segments.count >= 4, "expected several segments, got \(segments.count)")
        try Self.flipByte(in: segments[1], at: 1)  // the magic of the segment's first batch
        try FileManager.default.removeItem(atPath: segments[2])

        let metrics = try await Self.drain(fixture)
        let delivery = try await fixture.delivery(stream: "pipe", produced: Self.total)
        let dropped = Int(metrics.sum("lepton_agent_records_dropped_total", where: ["source": "pipe"]))
        try FaultReport.record(
            FaultRun(
                family: 4,
                scenario: "lost batch header + deleted middle segment, agent stopped",
                faults: 2,
                delivery: delivery,
                droppedCounted: dropped,
                seconds: (ContinuousClock.now - started).inSeconds,
                notes: "records behind a lost header or in a deleted segment cannot be counted; "
                    + "lepton_agent_spool_damage_total{kind=corrupt|missing_segment} and the damaged bytes show them"
            )
        )
        #expect(metrics.value("lepton_agent_spool_damage_total{kind=\"missing_segment\"}") == 1)
        #expect((metrics.value("lepton_agent_spool_damage_total{kind=\"corrupt\"}") ?? 0) >= 1)
        #expect((metrics.value("lepton_agent_spool_damaged_bytes_total") ?? 0) > 0)
        #expect(delivery.duplicates == 0 && delivery.outOfOrder == 0, "\(delivery)")
        #expect(delivery.missing > 0 && delivery.stored > Self.total / 2, "the rest was shipped: \(delivery)")
    }
}
