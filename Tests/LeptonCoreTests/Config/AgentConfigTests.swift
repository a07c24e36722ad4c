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
              shutdown_timeout: 0s
            sources:
              - { type: file, name: app, path: /var/log/app.log, parser: number, start_at: end, when_full: drop_newest }
              - { type: sensor, name: load, paths: [/proc/loadavg, /proc/meminfo], interval: 1.5s, when_full: block }
              - { type: stdin, name: pipe, when_full: drop_oldest }
            batch: { max_records: 500, max_bytes: 256KiB, linger: 250ms }
            spool:
              max_bytes: 1GiB
              segment_bytes: 16MiB
              fsync: interval
              fsync_interval: 250ms
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
        #expect(collector.shutdownTimeout == .zero)

        #expect(
            config.sources == [
                SourceConfig(
                    name: "app",
                    kind: .file(path: "/var/log/app.log", parser: .number, startAt: .end),
                    whenFull: .dropNewest
                ),
                SourceConfig(
                    name: "load",
                    kind: .sensor(paths: ["/proc/loadavg", "/proc/meminfo"], interval: .milliseconds(1_500)),
                    whenFull: .block
                ),
                SourceConfig(name: "pipe", kind: .stdin(parser: .text), whenFull: .dropOldest),
            ]
        )
        #expect(config.sources.map(\.typeName) == ["file", "sensor", "stdin"])
        #expect(config.batch == BatchConfig(maxRecords: 500, maxBytes: 256 << 10, linger: .milliseconds(250)))
        #expect(
            config.spool == SpoolConfig(maxBytes: 1 << 30, segmentBytes: 16 << 20, fsync: .interval(.milliseconds(250)))
        )
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
        #expect(config.collector.shutdownTimeout == .seconds(10))
        let sensor = SourceConfig(name: "load", kind: .sensor(paths: ["/proc/loadavg"], interval: .seconds(10)))
        #expect(config.sources == [sensor])
        #expect(config.sources[0].whenFull == .dropOldest)
        #expect(config.batch == BatchConfig(maxRecords: 1_000, maxBytes: 1 << 20, linger: .seconds(1)))
        #expect(config.spool == SpoolConfig(maxBytes: 256 << 20, segmentBytes: 8 << 20, fsync: .interval(.seconds(1))))
        #expect(config.admin == nil)
        #expect(config.logLevel == .info)
    }

    @Test("file and stdin sources default to the text parser")
    func defaultParser() throws {
        let yaml =
            ConfigFixtures.minimalAgent
            + "  - { type: file, name: app, path: app.log }\n"
            + "  - { type: stdin, name: in }\n"
        let config = try ConfigFixtures.agent(yaml)
        #expect(config.sources[1].kind == .file(path: "/etc/lepton/app.log", parser: .text, startAt: .beginning))
        #expect(config.sources[2].kind == .stdin(parser: .text))
    }

    @Test("start_at of a file source")
    func startAt() throws {
        let yaml =
            ConfigFixtures.minimalAgent
            + "  - { type: file, name: old, path: old.log, start_at: beginning }\n"
            + "  - { type: file, name: new, path: new.log, start_at: end }\n"
        let config = try ConfigFixtures.agent(yaml)
        #expect(config.sources[1].kind == .file(path: "/etc/lepton/old.log", parser: .text, startAt: .beginning))
        #expect(config.sources[2].kind == .file(path: "/etc/lepton/new.log", parser: .text, startAt: .end))
    }

    @Test("when_full defaults by source type")
    func whenFullDefaults() throws {
        let yaml =
            ConfigFixtures.minimalAgent
            + "  - { type: file, name: app, path: app.log }\n"
            + "  - { type: stdin, name: in }\n"
        let config = try ConfigFixtures.agent(yaml)
        #expect(config.sources.map(\.whenFull) == [.dropOldest, .block, .block])
        for source in config.sources {
            #expect(source.whenFull == SourceConfig.defaultWhenFull(for: source.kind))
        }
        let file = SourceConfig(name: "app", kind: .file(path: "/var/log/app.log", parser: .text, startAt: .end))
        #expect(file.whenFull == .block)
        let sensor = SourceConfig(name: "load", kind: .sensor(paths: ["/proc/loadavg"], interval: .seconds(1)))
        #expect(sensor.whenFull == .dropOldest)
        #expect(SourceConfig(name: "in", kind: .stdin(parser: .number)).whenFull == .block)
    }

    @Test("an explicit when_full overrides the type's default", arguments: SpoolPolicy.allCases)
    func whenFullExplicit(policy: SpoolPolicy) throws {
        let sensor = ConfigFixtures.minimalAgent.replacing(
            "[/proc/loadavg] }",
            with: "[/proc/loadavg], when_full: \(policy.rawValue) }"
        )
        let yaml =
            sensor
            + "  - { type: file, name: app, path: app.log, when_full: \(policy.rawValue) }\n"
            + "  - { type: stdin, name: in, when_full: \(policy.rawValue) }\n"
        let config = try ConfigFixtures.agent(yaml)
        #expect(config.sources.map(\.whenFull) == [policy, policy, policy])
    }

    @Test("when_full values are the documented snake_case words")
    func spoolPolicyNames() {
        #expect(SpoolPolicy.allCases.map(\.rawValue) == ["block", "drop_oldest", "drop_newest"])
        #expect(StartPosition.allCases.map(\.rawValue) == ["beginning", "end"])
    }

    @Test("fsync policies")
    func fsyncPolicies() throws {
        let always = try ConfigFixtures.agent(ConfigFixtures.minimalAgent + "spool: { fsync: always }\n")
        #expect(always.spool.fsync == .always)
        #expect(always.spool.fsync.name == "always")
        let never = try ConfigFixtures.agent(ConfigFixtures.minimalAgent + "spool: { fsync: never }\n")
        #expect(never.spool.fsync == .never)
        let interval = try ConfigFixtures.agent(ConfigFixtures.minimalAgent + "spool: { fsync: interval }\n")
        #expect(interval.spool.fsync == .interval(.seconds(1)))
        // fsync_interval alone implies the default policy, interval.
        let implied = try ConfigFixtures.agent(ConfigFixtures.minimalAgent + "spool: { fsync_interval: 5s }\n")
        #expect(implied.spool.fsync == .interval(.seconds(5)))
        #expect(implied.spool.maxBytes == SpoolConfig.defaultMaxBytes)
    }

    @Test("the smallest spool: segment_bytes at its minimum, max_bytes 4 times batch.max_bytes")
    func smallestSpool() throws {
        let yaml =
            ConfigFixtures.minimalAgent + """
                batch: { max_bytes: 64KiB }
                spool: { max_bytes: 256KiB, segment_bytes: 64KiB }

                """
        let config = try ConfigFixtures.agent(yaml)
        #expect(config.spool.maxBytes == 256 << 10)
        #expect(config.spool.segmentBytes == SpoolConfig.minimumSegmentBytes)
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

    @Test("bandwidth.max_bytes_per_second caps what the agent sends")
    func bandwidthCap() throws {
        let config = try ConfigFixtures.agent(
            ConfigFixtures.minimalAgent + "bandwidth: { max_bytes_per_second: 64KiB }\n"
        )
        #expect(config.maxBytesPerSecond == 64 << 10)
        #expect(try ConfigFixtures.agent(ConfigFixtures.minimalAgent).maxBytesPerSecond == nil)
        let error = try ConfigFixtures.agentError(
            ConfigFixtures.minimalAgent + "bandwidth: { max_bytes_per_second: 100 }\n"
        )
        #expect(error.keyPath == "bandwidth.max_bytes_per_second")
        #expect(error.message.contains("at least 1KiB"))
    }
}
