import Foundation
import LeptonTestSupport
import Testing

/// The built executables as an operator runs them: certs, check, collector and agent processes.
@Suite(.serialized) struct ExecutableTests {
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    @Test func certsCollectorAndStdinAgentEndToEnd() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let dir = directory.path
        #expect(
            try await ChildProcess.run("lepton-collector", ["certs", "init", "--dir", "pki"], directory: dir).status
                == 0
        )
        #expect(
            try await ChildProcess.run(
                "lepton-collector",
                ["certs", "issue", "--dir", "pki", "--agent", "edge-07"],
                directory: dir
            ).status == 0
        )
        // A second init must refuse to replace the CA.
        #expect(
            try await ChildProcess.run("lepton-collector", ["certs", "init", "--dir", "pki"], directory: dir).status
                != 0
        )

        let agentPort = try ChildProcess.freePort()
        let httpPort = try ChildProcess.freePort()
        try """
        listen: 127.0.0.1:\(agentPort)
        tls: { ca: pki/ca.pem, cert: pki/collector.pem, key: pki/collector-key.pem }
        http: { listen: 127.0.0.1:\(httpPort) }
        storage: { type: sqlite, path: state/lepton.db }
        """.write(toFile: directory.file("collector.yaml"), atomically: true, encoding: .utf8)
        try """
        agent: { id: edge-07, state_dir: agent-state }
        collector:
          address: 127.0.0.1:\(agentPort)
          tls: { ca: pki/ca.pem, cert: pki/agents/edge-07.pem, key: pki/agents/edge-07-key.pem }
          reconnect: { initial: 50ms, max: 500ms }
        sources:
          - { type: stdin, name: pipe, parser: number }
        batch: { max_records: 100, max_bytes: 64KiB, linger: 50ms }
        """.write(toFile: directory.file("agent.yaml"), atomically: true, encoding: .utf8)

        #expect(
            try await ChildProcess.run("lepton-collector", ["check", "--config", "collector.yaml"], directory: dir)
                .status == 0
        )
        #expect(
            try await ChildProcess.run("lepton-agent", ["check", "--config", "agent.yaml"], directory: dir).status == 0
        )

        let collector = try ChildProcess("lepton-collector", ["run", "--config", "collector.yaml"], directory: dir)
        let ready = await HTTPResponse.waitUntilReady(port: httpPort)
        #expect(ready, "collector did not become ready: \(collector.errorOutput)")

        // 1,000 numbers and one line that does not parse as a number (counted, not shipped).
        let input = directory.file("input.txt")
        try ((1...1000).map { "\($0).5" } + ["not a number"]).joined(separator: "\n")
            .write(toFile: input, atomically: true, encoding: .utf8)
        let agent = try ChildProcess(
            "lepton-agent",
            ["run", "--config", "agent.yaml"],
            directory: dir,
            input: FileHandle(forReadingAtPath: input)
        )
        let agentStatus = await agent.wait(timeout: .seconds(60))
        #expect(agentStatus == 0, "agent: \(agent.errorOutput)")

        let query = try await HTTPResponse.get(
            port: httpPort,
            path: "/api/v1/query?agent=edge-07&stream=pipe&limit=5000"
        )
        #expect(query.status == 200)
        let json = try #require(try query.json() as? [String: Any])
        let records = try #require(json["records"] as? [[String: Any]])
        #expect(records.count == 1000)
        #expect((records.first?["value"] as? Double) == 1.5)
        #expect((records.last?["value"] as? Double) == 1000.5)

        let agents = try await HTTPResponse.get(port: httpPort, path: "/api/v1/agents")
        let list = try #require(try agents.json() as? [[String: Any]])
        #expect(list.first?["agent"] as? String == "edge-07")
        #expect((list.first?["records"] as? Int) == 1000)

        collector.signal(SIGTERM)
        let collectorStatus = await collector.wait(timeout: .seconds(20))
        #expect(collectorStatus == 0, "collector: \(collector.errorOutput)")
        #expect(collector.errorOutput.contains("agent connected"))
        #expect(collector.errorOutput.contains("agent.id=edge-07"))
    }

    @Test func checkRejectsABadFileWithItsLocation() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try """
        listen: 127.0.0.1:7443
        tls: { ca: ca.pem, cert: collector.pem, key: collector-key.pem }
        http: { listen: 127.0.0.1:9480 }
        storge: { type: sqlite, path: lepton.db }
        """.write(toFile: directory.file("bad.yaml"), atomically: true, encoding: .utf8)
        let (status, process) = try await ChildProcess.run(
            "lepton-collector",
            ["check", "--config", "bad.yaml"],
            directory: directory.path
        )
        #expect(status != 0)
        #expect(process.errorOutput.contains("bad.yaml:4:1: storge: unknown key"))
    }

    @Test func checkAcceptsTheExampleConfigsInTheRepository() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // The examples name their certificates relative to the config folder, as installed in /etc/lepton.
        _ = try await ChildProcess.run("lepton-collector", ["certs", "init", "--dir", "."], directory: directory.path)
        _ = try await ChildProcess.run(
            "lepton-collector",
            ["certs", "issue", "--dir", ".", "--agent", "edge-01"],
            directory: directory.path
        )
        for (example, program) in [
            ("agent-config/agent.yaml", "lepton-agent"), ("collector-config/collector.yaml", "lepton-collector"),
        ] {
            let copy = directory.file((example as NSString).lastPathComponent)
            try FileManager.default.copyItem(
                atPath: (Self.packageRoot as NSString).appendingPathComponent(example),
                toPath: copy
            )
            let (status, process) = try await ChildProcess.run(
                program,
                ["check", "--config", copy],
                directory: directory.path
            )
            #expect(status == 0, "\(example): \(process.errorOutput)")
        }
    }

    @Test func previewPrintsRecordsAndTheTableAndLogLevelIsChecked() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try """
        agent: { id: edge-01, state_dir: state }
        collector: { address: 127.0.0.1:7443, tls: { ca: ca.pem, cert: c.pem, key: k.pem } }
        sources:
          - type: sensor
            name: load
            paths: [/proc/loadavg]
            processors: [{ type: fields, tags: { site: lab } }]
        """.write(toFile: directory.file("agent.yaml"), atomically: true, encoding: .utf8)
        // No certificates exist: preview needs none.
        let (status, process) = try await ChildProcess.run(
            "lepton-agent",
            ["preview", "--config", "agent.yaml", "--for", "300ms", "--log-level", "error"],
            directory: directory.path
        )
        #expect(status == 0, "\(process.errorOutput)")
        #expect(process.output.contains(" load.0,site=lab "), "\(process.output)")
        #expect(process.output.contains("0:fields"))
        #expect(process.errorOutput.isEmpty, "--log-level error keeps info lines out: \(process.errorOutput)")

        let (badStatus, bad) = try await ChildProcess.run(
            "lepton-agent",
            ["preview", "--config", "agent.yaml", "--log-level", "chatty"],
            directory: directory.path
        )
        #expect(badStatus != 0)
        #expect(bad.errorOutput.contains("chatty"))
    }
}
