import Foundation
import LeptonAgent
import LeptonCollector
import LeptonCore
import LeptonTestSupport
import Testing

/// Configuration reloads (SIGHUP) of a running agent and collector, over real mutual TLS on loopback.
@Suite(.serialized) struct ReloadTests {
    static func append(_ lines: some Sequence<String>, to path: String) throws {
        let text = lines.map { $0 + "\n" }.joined()
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            try handle.close()
        } else {
            try text.write(toFile: path, atomically: false, encoding: .utf8)
        }
    }

    static func texts(_ collector: CollectorHarness, agent: String = "edge-01", stream: String) async throws -> [String]
    {
        try await collector.collector.sink.query(agent: agent, stream: stream, from: nil, to: nil, limit: 100_000)
            .compactMap(\.value.text)
    }

    /// A changed source restarts (sealing what its batcher held, then resuming from its checkpoint), a new source
    /// starts, batch settings change; no line is lost or sent twice.
    @Test func aReloadRestartsChangedSourcesStartsNewOnesAndLosesNothing() async throws {
        let fixture = try FaultFixture(agent: "edge-01")
        defer { fixture.remove() }
        let (a, b) = (fixture.file("a.log"), fixture.file("b.log"))
        let collector = try await CollectorHarness(pki: fixture.pki, databasePath: fixture.database)
        var config = fixture.agentConfig(
            collectorPort: collector.agentPort,
            sources: [SourceConfig(name: "app", kind: .file(path: a))]
        )
        // A long linger: the first lines wait in the batcher when the reload comes.
        config.batch = BatchConfig(maxRecords: 1000, maxBytes: 1 << 20, linger: .seconds(60))
        let agent = try AgentHarness(config: config)
        try Self.append((1...400).map(String.init), to: a)
        let read = await eventually(timeout: .seconds(20)) {
            agent.metrics().value("lepton_agent_records_total{source=\"app\"}") == 400
        }
        #expect(read)
        #expect(try await Self.texts(collector, stream: "app").isEmpty, "still in the batcher")

        var changed = config
        changed.batch = BatchConfig(maxRecords: 1000, maxBytes: 1 << 20, linger: .milliseconds(50))
        changed.sources = [
            SourceConfig(name: "app", kind: .file(path: a), processors: [.sample(SampleConfig(every: 2))]),
            SourceConfig(name: "extra", kind: .file(path: b)),
        ]
        // Certificates that cannot be loaded refuse the whole reload: the new source does not start.
        var broken = changed
        broken.collector.tls.cert = fixture.file("missing.pem")
        #expect(throws: (any Error).self) { try agent.agent.reload(to: broken) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(agent.metrics().value("lepton_agent_records_total{source=\"extra\"}") == nil)

        #expect(try agent.agent.reload(to: changed).isEmpty)
        try Self.append((1...100).map { "x\($0)" }, to: b)
        let sealed = try await eventually(timeout: .seconds(20)) {
            let app = try await Self.texts(collector, stream: "app")
            let extra = try await Self.texts(collector, stream: "extra")
            return app.count == 400 && extra.count == 100
        }
        #expect(sealed, "the old run sealed its 400 lines, the new source shipped its 100")
        // The restarted source follows the file from its checkpoint, now sampling one line in two.
        try Self.append((401...800).map(String.init), to: a)
        let sampled = try await eventually(timeout: .seconds(20)) {
            try await Self.texts(collector, stream: "app").count >= 600
        }
        #expect(sampled)
        try await Task.sleep(for: .milliseconds(300))
        let app = try await Self.texts(collector, stream: "app")
        let expected: [String] = (1...400).map(String.init) + stride(from: 401, through: 799, by: 2).map(String.init)
        #expect(app == expected)
        try await agent.stop()
        try await collector.stop()
    }

    /// SIGHUP to real processes: an invalid file is refused with its line and key and changes nothing; a valid one
    /// adds a source; the agent keeps running throughout.
    @Test func sighupReloadsTheAgentProcessAndRefusesAnInvalidFile() async throws {
        let fixture = try FaultFixture(agent: "edge-01")
        defer { fixture.remove() }
        let collector = try await CollectorHarness(pki: fixture.pki, databasePath: fixture.database)
        let (a, b) = (fixture.file("a.log"), fixture.file("b.log"))
        let daemon = try fixture.agentDaemon(
            collectorPort: collector.agentPort,
            sources: ["{ type: file, name: app, path: \(a) }"]
        )
        try daemon.start()
        defer { Task { await daemon.kill() } }
        try Self.append(["1", "2"], to: a)
        #expect(
            try await eventually(timeout: .seconds(30)) { try await Self.texts(collector, stream: "app").count == 2 }
        )
        let pid = try #require(daemon.pid)

        let valid = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
        try valid.replacingOccurrences(of: "name: app, path", with: "name: app, pathh")
            .write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        #expect(kill(pid, SIGHUP) == 0)
        let refused = await eventually(timeout: .seconds(10)) { daemon.logs.contains("reload failed") }
        #expect(refused, "\(daemon.logs.suffix(2000))")
        #expect(daemon.logs.contains("agent.yaml:"), "the error names the file and line")
        #expect(daemon.logs.contains("pathh"), "and the key")
        try Self.append(["3"], to: a)
        #expect(
            try await eventually(timeout: .seconds(20)) { try await Self.texts(collector, stream: "app").count == 3 }
        )

        try valid.replacingOccurrences(
            of: "  - { type: file, name: app, path: \(a) }",
            with: "  - { type: file, name: app, path: \(a) }\n  - { type: file, name: extra, path: \(b) }"
        ).write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        #expect(kill(pid, SIGHUP) == 0)
        #expect(await eventually(timeout: .seconds(10)) { daemon.logs.contains("configuration reloaded") })
        try Self.append(["x"], to: b)
        try Self.append(["4"], to: a)
        let both = try await eventually(timeout: .seconds(20)) {
            let extra = try await Self.texts(collector, stream: "extra")
            let app = try await Self.texts(collector, stream: "app")
            return extra == ["x"] && app == ["1", "2", "3", "4"]
        }
        #expect(both, "\(daemon.logs.suffix(2000))")
        #expect(daemon.pid == pid, "the same process throughout")
        #expect(await daemon.stop() == 0)
        try await collector.stop()
    }

    /// Certificate rotation on the agent: a reload points it at certificates of a new CA; the session up keeps
    /// going, and once the collector (now trusting only the new CA) restarts, the agent reconnects with them.
    @Test func theAgentUsesRenewedCertificatesFromItsNextConnection() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let old = try TestPKI(directory: directory.file("pki-old"), agents: ["edge-01"])
        let new = try TestPKI(directory: directory.file("pki-new"), agents: ["edge-01"])
        let database = directory.file("lepton.db")
        let log = directory.file("app.log")
        var collector = try await CollectorHarness(pki: old, databasePath: database)
        let port = collector.agentPort
        let config = AgentHarness.config(
            id: "edge-01",
            pki: old,
            collectorPort: port,
            stateDirectory: directory.file("state"),
            sources: [SourceConfig(name: "app", kind: .file(path: log))]
        )
        let agent = try AgentHarness(config: config)
        try Self.append(["1"], to: log)
        #expect(try await eventually(timeout: .seconds(20)) { try await Self.texts(collector, stream: "app") == ["1"] })

        var renewed = config
        renewed.collector.tls = new.agentTLS("edge-01")
        try agent.agent.reload(to: renewed)
        try Self.append(["2"], to: log)
        let kept = try await eventually(timeout: .seconds(20)) {
            try await Self.texts(collector, stream: "app") == ["1", "2"]
        }
        #expect(kept, "the healthy session goes on with the old certificate")
        #expect(agent.metrics().value("lepton_agent_connection_attempts_total") == 1)

        try await collector.stop()
        collector = try await CollectorHarness(pki: new, databasePath: database, agentPort: port)
        try Self.append(["3"], to: log)
        let reconnected = try await eventually(timeout: .seconds(30)) {
            try await Self.texts(collector, stream: "app") == ["1", "2", "3"]
        }
        #expect(reconnected, "the collector of the new CA accepts the agent's renewed certificate")
        try await agent.stop()
        try await collector.stop()
    }

    /// Certificate rotation on the collector: after a reload to another certificate and CA, new sessions are
    /// accepted with them, and a session that was already up keeps shipping.
    @Test func theCollectorTakesNewCertificatesForNewSessionsAndKeepsHealthyOnes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let old = try TestPKI(directory: directory.file("pki-old"), agents: ["edge-01", "edge-02"])
        let new = try TestPKI(directory: directory.file("pki-new"), agents: ["edge-03"])
        let collector = try await CollectorHarness(pki: old, databasePath: directory.file("lepton.db"))
        func agent(_ id: String, _ pki: TestPKI) throws -> AgentHarness {
            try AgentHarness(
                config: AgentHarness.config(
                    id: id,
                    pki: pki,
                    collectorPort: collector.agentPort,
                    stateDirectory: directory.file("state-\(id)"),
                    sources: [SourceConfig(name: "app", kind: .file(path: directory.file("\(id).log")))]
                )
            )
        }
        let healthy = try agent("edge-01", old)
        try Self.append(["before"], to: directory.file("edge-01.log"))
        #expect(
            try await eventually(timeout: .seconds(20)) {
                try await Self.texts(collector, agent: "edge-01", stream: "app") == ["before"]
            }
        )

        let rotated = CollectorConfig(
            listen: HostPort(host: "127.0.0.1", port: collector.agentPort),
            tls: new.collectorTLS,
            httpListen: HostPort(host: "127.0.0.1", port: collector.httpPort),
            storage: .sqlite(path: directory.file("lepton.db"))
        )
        try collector.collector.reload(to: rotated)

        try Self.append(["after"], to: directory.file("edge-01.log"))
        let kept = try await eventually(timeout: .seconds(20)) {
            try await Self.texts(collector, agent: "edge-01", stream: "app") == ["before", "after"]
        }
        #expect(kept)
        #expect(healthy.metrics().value("lepton_agent_connection_attempts_total") == 1, "the session was not dropped")

        let renewed = try agent("edge-03", new)
        try Self.append(["new"], to: directory.file("edge-03.log"))
        #expect(
            try await eventually(timeout: .seconds(20)) {
                try await Self.texts(collector, agent: "edge-03", stream: "app") == ["new"]
            },
            "an agent of the new CA is accepted"
        )
        let stale = try agent("edge-02", old)
        let refused = try await eventually(timeout: .seconds(20)) {
            try await collector.metric("lepton_collector_rejects_total{reason=\"tls_handshake\"}") ?? 0 >= 1
        }
        #expect(refused, "an agent of the old CA no longer is")
        for harness in [healthy, renewed, stale] { try await harness.stop() }
        try await collector.stop()
    }
}
