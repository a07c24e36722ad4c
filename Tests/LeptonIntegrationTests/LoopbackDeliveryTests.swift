import Foundation
import LeptonAgent
import LeptonCollector
import LeptonCore
import LeptonTestSupport
import Testing

/// Agent and collector in this process, over real mutual TLS on loopback, with a real file and SQLite.
@Suite(.serialized) struct LoopbackDeliveryTests {
    static let lineCount = 100_000

    static func writeLines(_ range: Range<Int>, to path: String) throws {
        var text = ""
        text.reserveCapacity(range.count * 64)
        for index in range {
            text += "2026-11-29T06:40:57Z line=\(index) sensor=thermal_zone0 temp_c=41.250 status=ok ✓\n"
        }
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            try handle.close()
        } else {
            try text.write(toFile: path, atomically: false, encoding: .utf8)
        }
    }

    static func storedCount(_ collector: CollectorHarness, agent: String) async throws -> Int64 {
        try await collector.collector.sink.agents().first { $0.id == agent }?.records ?? 0
    }

    /// Every line, exactly once, in order.
    static func expectAllLines(_ collector: CollectorHarness, agent: String, stream: String) async throws {
        let stored = try await collector.collector.sink.query(
            agent: agent,
            stream: stream,
            from: nil,
            to: nil,
            limit: lineCount + 10
        )
        #expect(stored.count == lineCount)
        var mismatches = 0
        for (index, record) in stored.enumerated() where record.value.text?.contains("line=\(index) ") != true {
            mismatches += 1
        }
        #expect(mismatches == 0, "lines out of order or altered")
    }

    @Test func tailedFileArrivesExactlyOnceAndInOrder() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: ["edge-01"])
        let logPath = directory.file("app.log")
        try Self.writeLines(0..<Self.lineCount / 2, to: logPath)

        let collector = try await CollectorHarness(pki: pki, databasePath: directory.file("lepton.db"))
        let agent = try AgentHarness(
            config: AgentHarness.config(
                id: "edge-01",
                pki: pki,
                collectorPort: collector.agentPort,
                stateDirectory: directory.file("agent"),
                sources: [SourceConfig(name: "app", kind: .file(path: logPath, parser: .text))]
            )
        )
        // The second half is appended while the agent follows the file.
        try await Task.sleep(for: .milliseconds(200))
        try Self.writeLines(Self.lineCount / 2..<Self.lineCount, to: logPath)

        let arrived = try await eventually(timeout: .seconds(120)) {
            try await Self.storedCount(collector, agent: "edge-01") >= Int64(Self.lineCount)
        }
        #expect(arrived)
        // The agent's books, as it reports them (STATS, every 5 s): every line read was acknowledged.
        let balanced = await eventually(timeout: .seconds(15)) {
            let report = collector.collector.server.reports.latest["edge-01"]
            guard let app = report?.stats.sources.first(where: { $0.source == "app" }) else { return false }
            return app.produced == UInt64(Self.lineCount) && app.acknowledged == app.produced && app.pending == 0
                && app.dropped.allSatisfy { $0.count == 0 }
        }
        #expect(balanced, "the agent should report \(Self.lineCount) records produced and acknowledged, none pending")
        try await agent.stop()
        try await Self.expectAllLines(collector, agent: "edge-01", stream: "app")

        let agents = try await collector.get("/api/v1/agents")
        #expect(agents.status == 200)
        #expect(agents.body.contains("\"records\":\(Self.lineCount)"))
        #expect(agents.body.contains("\"produced\":\(Self.lineCount)"))
        let metrics = try await collector.get("/metrics")
        #expect((metrics.metric("lepton_collector_agent_reports_total") ?? 0) >= 1)
        #expect(metrics.metric("lepton_collector_records_total") == Double(Self.lineCount))
        try await collector.stop()
    }

    @Test func collectorRestartMidStreamLosesAndDoublesNothing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: ["edge-02"])
        let logPath = directory.file("app.log")
        try Self.writeLines(0..<Self.lineCount, to: logPath)
        let database = directory.file("lepton.db")

        var collector = try await CollectorHarness(pki: pki, databasePath: database)
        let port = collector.agentPort
        // Small batches so the stream is still going when the collector stops.
        let agent = try AgentHarness(
            config: AgentHarness.config(
                id: "edge-02",
                pki: pki,
                collectorPort: port,
                stateDirectory: directory.file("agent"),
                sources: [SourceConfig(name: "app", kind: .file(path: logPath, parser: .text))],
                batch: BatchConfig(maxRecords: 100, maxBytes: 1 << 20, linger: .milliseconds(20))
            )
        )
        let started = try await eventually(timeout: .seconds(60)) {
            try await Self.storedCount(collector, agent: "edge-02") > 5_000
        }
        #expect(started)
        try await collector.stop()
        let before = try await SQLiteSink(path: database).agents().first?.records ?? 0
        #expect(before < Int64(Self.lineCount), "the restart should happen mid-stream")

        collector = try await CollectorHarness(pki: pki, databasePath: database, agentPort: port)
        let arrived = try await eventually(timeout: .seconds(120)) {
            try await Self.storedCount(collector, agent: "edge-02") >= Int64(Self.lineCount)
        }
        #expect(arrived)
        try await agent.stop()
        try await Self.expectAllLines(collector, agent: "edge-02", stream: "app")
        try await collector.stop()
    }

    @Test func agentFromAnotherCAIsRefusedAndNothingIsStored() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: [])
        let rogue = try TestPKI(directory: directory.file("rogue"), agents: ["edge-03"])
        let logPath = directory.file("app.log")
        try Self.writeLines(0..<100, to: logPath)
        let collector = try await CollectorHarness(pki: pki, databasePath: directory.file("lepton.db"))
        var config = AgentHarness.config(
            id: "edge-03",
            pki: rogue,
            collectorPort: collector.agentPort,
            stateDirectory: directory.file("agent"),
            sources: [SourceConfig(name: "app", kind: .file(path: logPath, parser: .text))]
        )
        // The agent trusts the real collector, but its own certificate comes from another CA.
        config.collector.tls.ca = pki.collectorTLS.ca
        let agent = try AgentHarness(config: config)
        let refused = try await eventually(timeout: .seconds(20)) {
            try await collector.metric("lepton_collector_rejects_total{reason=\"tls_handshake\"}") ?? 0 >= 1
        }
        #expect(refused)
        #expect(try await collector.collector.sink.agents().isEmpty)
        #expect(try await collector.collector.sink.streams().isEmpty)
        try await agent.stop()
        try await collector.stop()
    }

    @Test func agentClaimingAnotherIdentityIsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: ["edge-04"])
        let logPath = directory.file("app.log")
        try Self.writeLines(0..<100, to: logPath)
        let collector = try await CollectorHarness(pki: pki, databasePath: directory.file("lepton.db"))
        let agent = try AgentHarness(
            config: AgentHarness.config(
                id: "impostor",
                pki: pki,
                tlsAgent: "edge-04",
                collectorPort: collector.agentPort,
                stateDirectory: directory.file("agent"),
                sources: [SourceConfig(name: "app", kind: .file(path: logPath, parser: .text))]
            )
        )
        let refused = try await eventually(timeout: .seconds(20)) {
            try await collector.metric("lepton_collector_rejects_total{reason=\"identity_mismatch\"}") ?? 0 >= 1
        }
        #expect(refused)
        #expect(try await collector.collector.sink.agents().isEmpty)
        try await agent.stop()
        try await collector.stop()
    }
}
