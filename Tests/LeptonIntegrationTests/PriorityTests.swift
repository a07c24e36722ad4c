import Foundation
import LeptonCollector
import LeptonCore
import LeptonTestSupport
import Testing

/// A real agent with a bulk source and a critical one against a collector (default limits: a credit window of
/// 16 MiB) whose store takes a fifth of what the agent produces: the critical source's batches, spooled behind a
/// growing backlog of bulk ones, are sent first and stored within seconds while the bulk backlog waits (the agent
/// keeps its batches from queueing at the collector, whatever credit it banked);
/// once the store has room, everything is stored exactly once (batches numbered when sent, not when spooled) or
/// counted.
@Suite(.serialized) struct PriorityTests {
    @Test func aCriticalSourceGoesFirstWhenCreditIsShort() async throws {
        let directory = try TemporaryDirectory(prefix: "lepton-priority")
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: ["edge-pri"])
        let store = try await ThrottledCollector(pki: pki, directory: directory)
        let (database, throttled, collector) = (store.database, store.throttled, store.collector)

        let sources = try AgentConfig.parse(
            yaml: """
                agent: { id: edge-pri, state_dir: /tmp }
                collector: { address: 127.0.0.1:1, tls: { ca: a, cert: b, key: c } }
                sources:
                  - type: exec
                    name: bulk
                    command: [od, -An, -tu2, -w2, -v, -N1000, /dev/urandom]
                    interval: 100ms
                    parser: number
                  - type: exec
                    name: alarm
                    command: [echo, "1"]
                    interval: 200ms
                    parser: number
                    priority: 10
                """,
            file: "priority.yaml",
            baseDirectory: directory.path
        ).sources
        var config = AgentHarness.config(
            id: "edge-pri",
            pki: pki,
            collectorPort: collector.agentPort,
            stateDirectory: directory.file("agent"),
            sources: sources,
            batch: BatchConfig(maxRecords: 1_000, maxBytes: 64 << 10, linger: .milliseconds(100))
        )
        config.spool = SpoolConfig(maxBytes: 64 << 20, segmentBytes: 256 << 10)
        let agent = try AgentHarness(config: config)

        /// Seconds between now and the newest record of `stream` in the store.
        func lag(_ stream: String) async throws -> Double {
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            let sink = try SQLiteSink(path: database)
            let recent = try await sink.query(
                agent: "edge-pri",
                stream: stream,
                from: now - 120_000_000_000,
                to: nil,
                limit: Int.max
            )
            guard let newest = recent.map(\.timestamp).max() else { return .infinity }
            return Double(now - newest) / 1e9
        }

        #expect(
            await eventually(timeout: .seconds(20)) {
                agent.metrics().sum("lepton_agent_records_acknowledged_total", where: ["source": "alarm"]) > 10
                    && agent.metrics().sum("lepton_agent_records_acknowledged_total", where: ["source": "bulk"]) > 5_000
            }
        )

        // The store takes a fifth of the bulk production: the bulk backlog grows by about 0.8 s every second.
        throttled.setBytesPerSecond(ThrottledCollector.odBytesPerSecond / 5)
        #expect(
            await eventually(timeout: .seconds(90), interval: .seconds(1)) {
                (try? await lag("bulk")) ?? 0 > 15
            }
        )
        let bulkLag = try await lag("bulk")
        let alarmLag = try await lag("alarm")
        #expect(alarmLag < 6, "critical records waited \(alarmLag) s while the bulk backlog is \(bulkLag) s old")
        #expect(agent.metrics().sum("lepton_agent_spool_batches") > 20, "a backlog is waiting behind the alarm")

        // Room again, and the sources stop (a reload leaves an idle one): everything drains, and every record is
        // stored once or counted.
        throttled.setBytesPerSecond(1 << 30)
        try agent.stopSources(of: config, directory: directory)
        #expect(
            await eventually(timeout: .seconds(60)) {
                agent.metrics().sum("lepton_agent_spool_batches") == 0
            }
        )
        try await agent.stop()
        try await collector.stop()
        for source in ["bulk", "alarm"] {
            let (produced, acknowledged, dropped) = agent.books(of: source)
            #expect(
                produced == acknowledged + dropped,
                "\(source): produced \(produced), acknowledged \(acknowledged), dropped \(dropped)"
            )
            let stored = try await StoredRecords.records(database: database, agent: "edge-pri", stream: source).count
            #expect(Double(stored) == acknowledged, "\(source): stored \(stored), acknowledged \(acknowledged)")
        }
    }
}
