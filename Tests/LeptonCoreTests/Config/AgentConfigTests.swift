import Logging
import Testing

@testable import LeptonCore

@Suite("AgentConfig")
struct AgentConfigTests {
    @Test("parses every key")
    func parsesEveryKey() throws {
        let yaml = """
            agent:
              id: edge-01
              state_dir: state
            collector:
              address: "[::1]:7443"
              server_name: collector.internal
              tls:
                ca: ca.pem
                cert: ./agents/edge-01.pem
                key: /secure/edge-01-key.pem
              reconnect: { initial: 100ms, max: 1m }
              max_unacked_bytes: 8MiB
              shutdown_timeout: 0s
            sources:
              - { type: file, name: app, path: /var/log/app.log, parser: number }
              - { type: sensor, name: load, paths: [/proc/loadavg, /proc/meminfo], interval: 1.5s }
              - { type: stdin, name: pipe }
            batch: { max_records: 500, max_bytes: 256KiB, linger: 250ms }
            admin: { listen: 127.0.0.1:0 }
            log: { level: debug }

            """
        let config = try ConfigFixtures.agent(yaml)
        #expect(config.agent == AgentIdentity(id: "edge-01", stateDirectory: "/etc/lepton/state"))

        let collector = config.collector
        #expect(collector.address == HostPort(host: "::1", port: 7_443))
        #expect(collector.serverName == "collector.internal")
        #expect(collector.effectiveServerName == "collector.internal")
        #expect(collector.tls.ca == "/etc/lepton/ca.pem")
        #expect(collector.tls.cert == "/etc/lepton/agents/edge-01.pem")
        #expect(collector.tls.key == "/secure/edge-01-key.pem")
        #expect(collector.reconnectInitial == .milliseconds(100))
        #expect(collector.reconnectMax == .seconds(60))
        #expect(collector.maxUnackedBytes == 8 << 20)
        #expect(collector.shutdownTimeout == .zero)

        #expect(
            config.sources == [
                SourceConfig(name: "app", kind: .file(path: "/var/log/app.log", parser: .number)),
                SourceConfig(
                    name: "load",
                    kind: .sensor(paths: ["/proc/loadavg", "/proc/meminfo"], interval: .milliseconds(1_500))
                ),
                SourceConfig(name: "pipe", kind: .stdin(parser: .text)),
            ]
        )
        #expect(config.sources.map(\.typeName) == ["file", "sensor", "stdin"])
        #expect(config.batch == BatchConfig(maxRecords: 500, maxBytes: 256 << 10, linger: .milliseconds(250)))
        #expect(config.admin == AdminConfig(listen: HostPort(host: "127.0.0.1", port: 0)))
        #expect(config.logLevel == .debug)
    }

    @Test("applies defaults for optional keys")
    func defaults() throws {
        let config = try ConfigFixtures.agent(ConfigFixtures.minimalAgent)
        #expect(config.collector.serverName == nil)
        #expect(config.collector.effectiveServerName == "127.0.0.1")
        #expect(config.collector.reconnectInitial == .milliseconds(250))
        #expect(config.collector.reconnectMax == .seconds(30))
        #expect(config.collector.maxUnackedBytes == 64 << 20)
        #expect(config.collector.shutdownTimeout == .seconds(10))
        let sensor = SourceConfig(name: "load", kind: .sensor(paths: ["/proc/loadavg"], interval: .seconds(10)))
        #expect(config.sources == [sensor])
        #expect(config.batch == BatchConfig(maxRecords: 1_000, maxBytes: 1 << 20, linger: .seconds(1)))
        #expect(config.admin == nil)
        #expect(config.logLevel == .info)
    }

    @Test("file and stdin sources default to the text parser")
    func defaultParser() throws {
        let yaml = ConfigFixtures.minimalAgent
            + "  - { type: file, name: app, path: app.log }\n"
            + "  - { type: stdin, name: in }\n"
        let config = try ConfigFixtures.agent(yaml)
        #expect(config.sources[1].kind == .file(path: "/etc/lepton/app.log", parser: .text))
        #expect(config.sources[2].kind == .stdin(parser: .text))
    }

    @Test("a configuration built in code equals the parsed one")
    func builtInCode() throws {
        let built = AgentConfig(
            agent: AgentIdentity(id: "edge-01", stateDirectory: "/var/lib/lepton-agent"),
            collector: CollectorLink(
                address: HostPort(host: "127.0.0.1", port: 7_443),
                tls: TLSFiles(ca: "/etc/lepton/ca.pem", cert: "/etc/lepton/edge.pem", key: "/etc/lepton/edge-key.pem")
            ),
            sources: [SourceConfig(name: "load", kind: .sensor(paths: ["/proc/loadavg"], interval: .seconds(10)))]
        )
        #expect(try ConfigFixtures.agent(ConfigFixtures.minimalAgent) == built)
    }
}
