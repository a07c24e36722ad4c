import Foundation
import LeptonCollector
import LeptonCore
import LeptonTestSupport
import Testing

/// A real agent against a collector whose store takes a fifth of what it produces: the agent spools, then steps
/// its source's `fidelity` ladder up, reports the level (status endpoint, metrics, the collector's API), steps
/// back down to raw once the store has room again, and every record is stored once or counted.
@Suite(.serialized) struct FidelityTests {
    @Test func theLadderRisesUnderASaturatedStoreAndFallsBackToRaw() async throws {
        let directory = try TemporaryDirectory(prefix: "lepton-fidelity")
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: ["edge-fid"])
        let store = try await ThrottledCollector(pki: pki, directory: directory)
        let (database, throttled, collector) = (store.database, store.throttled, store.collector)

        let ladder = try AgentConfig.parse(
            yaml: """
                agent: { id: edge-fid, state_dir: /tmp }
                collector: { address: 127.0.0.1:1, tls: { ca: a, cert: b, key: c } }
                sources:
                  - type: exec
                    name: temps
                    command: [od, -An, -tu2, -w2, -v, -N1000, /dev/urandom]
                    interval: 100ms
                    parser: number
                    fidelity: [raw, {sample: 10}, {aggregate: 10s}]
                """,
            file: "ladder.yaml",
            baseDirectory: directory.path
        ).sources[0]
        var config = AgentHarness.config(
            id: "edge-fid",
            pki: pki,
            collectorPort: collector.agentPort,
            stateDirectory: directory.file("agent"),
            sources: [ladder],
            batch: BatchConfig(maxRecords: 1_000, maxBytes: 64 << 10, linger: .milliseconds(100))
        )
        config.spool = SpoolConfig(maxBytes: 4 << 20, segmentBytes: 64 << 10)
        config.fidelity = FidelityTuning(
            raiseAfter: .seconds(1),
            lowerAfter: .seconds(2),
            backlogHigh: 0.01,
            backlogLow: 0.005
        )
        config.admin = AdminConfig(listen: HostPort(host: "127.0.0.1", port: 0))
        let agent = try AgentHarness(config: config)
        let admin = try #require(await agent.agent.adminBound.value.port)
        func status() async throws -> [String: Any] {
            let body = try await HTTPResponse.get(port: admin, path: "/api/v1/status").json()
            let sources = try #require((body as? [String: Any])?["sources"] as? [[String: Any]])
            return try #require(sources.first { $0["name"] as? String == "temps" }?["fidelity"] as? [String: Any])
        }
        func level() -> Double { agent.metrics().sum("lepton_agent_fidelity_level", where: ["source": "temps"]) }
        func reported() async throws -> String? {
            let agents = try await collector.get("/api/v1/agents").json() as? [[String: Any]]
            let report = agents?.first { $0["agent"] as? String == "edge-fid" }?["reported"] as? [String: Any]
            return report?["reduction_level"] as? String
        }

        // Raw while the store keeps up.
        #expect(
            await eventually(timeout: .seconds(20)) {
                agent.metrics().sum("lepton_agent_records_acknowledged_total") > 5_000
            }
        )
        #expect(level() == 0)
        #expect(try await status()["rung"] as? String == "raw")

        // The store takes a fifth of the raw production: the backlog grows and the ladder rises. (The collector reads
        // STATS after the batches queued before it, so what it shows lags by up to a credit window's commits.)
        throttled.setBytesPerSecond(ThrottledCollector.odBytesPerSecond / 5)
        let rose = await eventually(timeout: .seconds(60)) {
            let shown = try? await reported()
            return shown?.hasPrefix("temps: ") == true && level() > 0
        }
        let shownRisen = try? await reported()
        #expect(rose, "level \(level()), collector shows \(String(describing: shownRisen))")
        let whole = try await HTTPResponse.get(port: admin, path: "/api/v1/status").json() as? [String: Any]
        let link = try #require(whole?["collector"] as? [String: Any])
        #expect(link["connected"] as? Bool == true)
        #expect((link["advised_bytes_per_second"] as? Int ?? 0) > 0, "the collector's advice: \(link)")
        #expect((whole?["spool"] as? [String: Any])?["max_bytes"] as? Int == 4 << 20)
        let risen = try await status()
        #expect((risen["level"] as? Int ?? 0) > 0)
        #expect(risen["ladder"] as? [String] == ["raw", "sample 10", "aggregate 10s"])
        // The ladder counts what it reduces as the source's next records pass through it: the level may show first.
        #expect(
            await eventually(timeout: .seconds(30)) { ((try? await status())?["reduced"] as? Int ?? 0) > 0 },
            "nothing reduced at level \(risen["level"] ?? "?")"
        )

        // Room again: back to raw, and the collector sees it.
        throttled.setBytesPerSecond(1 << 30)
        let fell = await eventually(timeout: .seconds(120)) {
            let shown = try? await reported()
            return level() == 0 && shown == "raw"
        }
        let shownFallen = try? await reported()
        #expect(fell, "level \(level()), collector shows \(String(describing: shownFallen))")
        let metrics = agent.metrics()
        #expect(metrics.sum("lepton_agent_fidelity_changes_total", where: ["source": "temps", "direction": "up"]) >= 1)
        #expect(
            metrics.sum("lepton_agent_fidelity_changes_total", where: ["source": "temps", "direction": "down"]) >= 1
        )
        #expect(metrics.sum("lepton_agent_fidelity_seconds_total", where: ["source": "temps", "level": "1"]) > 0)
        #expect(metrics.sum("lepton_agent_fidelity_reduced_total", where: ["source": "temps"]) > 0)

        // The source stops (a reload leaves an idle one): what it produced is stored once, dropped or counted.
        try agent.stopSources(of: config, directory: directory)
        let drained = await eventually(timeout: .seconds(60)) {
            let books = agent.books(of: "temps")
            return agent.metrics().sum("lepton_agent_spool_batches") == 0
                && books.produced == books.acknowledged + books.dropped
        }
        #expect(drained)
        // The reload stops the source asynchronously: the books are closed once the agent has stopped (and drained
        // its spool into the unthrottled store).
        try await agent.stop()
        try await collector.stop()
        let (produced, acknowledged, dropped) = agent.books(of: "temps")
        #expect(
            produced == acknowledged + dropped,
            "produced \(produced), acknowledged \(acknowledged), dropped \(dropped)"
        )
        var stored = 0
        for stream in try await StoredRecords.streams(database: database, agent: "edge-fid") {
            stored += try await StoredRecords.records(database: database, agent: "edge-fid", stream: stream).count
        }
        #expect(Double(stored) == acknowledged)
    }
}
