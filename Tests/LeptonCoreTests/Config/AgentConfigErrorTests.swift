import Testing

@testable import LeptonCore

/// Every kind of agent configuration error reports file, line, column and key path.
@Suite("AgentConfig errors")
struct AgentConfigErrorTests {
    @Test("unknown key at the top level points at the key")
    func unknownTopLevelKey() throws {
        let yaml = """
            agent:
              id: edge-01
              state_dir: /var/lib/lepton-agent
            colector:
              address: 127.0.0.1:7443

            """
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(error, line: 4, column: 1, keyPath: "colector", message: "unknown key 'colector'")
        #expect(error.message.contains("did you mean 'collector'?"))
        #expect(
            error.message.contains(
                "expected one of: admin, agent, bandwidth, batch, collector, fidelity, log, processors, sources, spool"
            )
        )
        #expect(error.description.hasPrefix("agent.yaml:4:1: colector: unknown key 'colector'"))
    }

    @Test("unknown key inside the second source")
    func unknownKeyInSource() throws {
        let yaml = """
            agent:
              id: edge-01
              state_dir: /var/lib/lepton-agent
            collector:
              address: 127.0.0.1:7443
              tls: { ca: ca.pem, cert: edge.pem, key: edge-key.pem }
            sources:
              - { type: file, name: app, path: /var/log/app.log }
              - type: sensor
                name: load
                paths: [/proc/loadavg]
                intervall: 1s

            """
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(
            error,
            line: 12,
            column: 5,
            keyPath: "sources[1].intervall",
            message: "unknown key 'intervall' (did you mean 'interval'?)"
        )
        #expect(
            error.message.contains(
                "expected one of: fidelity, interval, label_from, mode, name, offset, paths, priority, processors, scale, "
                    + "type, when_full"
            )
        )
    }

    @Test("wrong scalar type")
    func wrongType() throws {
        let error = try ConfigFixtures.agentError(ConfigFixtures.minimalAgent + "batch:\n  max_records: lots\n")
        expectConfigError(error, line: 10, column: 16, keyPath: "batch.max_records", message: "expected an integer")
    }

    @Test("a scalar where a mapping belongs")
    func scalarInsteadOfMapping() throws {
        let error = try ConfigFixtures.agentError("agent: edge-01\n")
        expectConfigError(error, line: 1, column: 8, keyPath: "agent", message: "expected a mapping")
    }

    @Test("a scalar where a list belongs")
    func scalarInsteadOfList() throws {
        let yaml = ConfigFixtures.minimalAgent.replacing(
            "paths: [/proc/loadavg]",
            with: "paths: [/proc/loadavg], processors: dedupe"
        )
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(error, line: 8, column: 69, keyPath: "sources[0].processors", message: "expected a list")
    }

    @Test("missing required key points at the parent mapping")
    func missingRequiredKey() throws {
        let yaml = """
            agent:
              id: edge-01
              state_dir: /var/lib/lepton-agent
            collector:
              tls: { ca: ca.pem, cert: edge.pem, key: edge-key.pem }
            sources:
              - { type: sensor, name: load, paths: [/proc/loadavg] }

            """
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(
            error,
            line: 5,
            column: 3,
            keyPath: "collector.address",
            message: "missing required key 'address'"
        )
    }

    @Test("missing top-level section")
    func missingSection() throws {
        let yaml = """
            agent:
              id: edge-01
              state_dir: /var/lib/lepton-agent
            collector:
              address: 127.0.0.1:7443
              tls: { ca: ca.pem, cert: edge.pem, key: edge-key.pem }

            """
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(error, line: 1, column: 1, keyPath: "sources", message: "missing required key 'sources'")
    }

    @Test("missing source type")
    func missingSourceType() throws {
        let yaml = ConfigFixtures.minimalAgent.replacing("{ type: sensor, name: load,", with: "{ name: load,")
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(error, line: 8, column: 5, keyPath: "sources[0].type", message: "missing required key 'type'")
    }

    @Test("bad duration")
    func badDuration() throws {
        let yaml = ConfigFixtures.minimalAgent.replacing(
            "  tls:",
            with: "  reconnect: { initial: 10, max: 30s }\n  tls:"
        )
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(error, line: 6, column: 25, keyPath: "collector.reconnect.initial", message: "missing unit")
    }

    @Test("bad spool size unit")
    func badSpoolSize() throws {
        let error = try ConfigFixtures.agentError(ConfigFixtures.minimalAgent + "spool:\n  max_bytes: 64XB\n")
        expectConfigError(error, line: 10, column: 14, keyPath: "spool.max_bytes", message: "unknown unit 'XB'")
    }

    @Test("bad host:port")
    func badHostPort() throws {
        let yaml = ConfigFixtures.minimalAgent.replacing("address: 127.0.0.1:7443", with: "address: localhost")
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(error, line: 5, column: 12, keyPath: "collector.address", message: "missing port")
    }

    @Test("port 0 is not a collector address")
    func collectorPortZero() throws {
        let yaml = ConfigFixtures.minimalAgent.replacing("127.0.0.1:7443", with: "127.0.0.1:0")
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(error, line: 5, column: 12, keyPath: "collector.address", message: "port 0")
    }

    @Test("invalid source type lists the allowed types")
    func invalidSourceType() throws {
        let yaml = ConfigFixtures.minimalAgent.replacing(
            "{ type: sensor, name: load, paths: [/proc/loadavg] }",
            with: "{ type: socket, name: s }"
        )
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(
            error,
            line: 8,
            column: 13,
            keyPath: "sources[0].type",
            message: "unknown source type 'socket'; expected one of: file, sensor, stdin"
        )
    }

    @Test("key not valid for the source type")
    func keyNotValidForType() throws {
        let yaml = ConfigFixtures.minimalAgent.replacing(
            "{ type: sensor, name: load, paths: [/proc/loadavg] }",
            with: "{ type: file, name: app, path: /var/log/app.log, interval: 1s }"
        )
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(
            error,
            line: 8,
            column: 54,
            keyPath: "sources[0].interval",
            message: "key 'interval' is not valid for a source of type file"
        )
    }

    @Test("duplicate source names")
    func duplicateSourceNames() throws {
        let yaml = ConfigFixtures.minimalAgent + "  - { type: file, name: load, path: /var/log/app.log }\n"
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(
            error,
            line: 9,
            column: 25,
            keyPath: "sources[1].name",
            message: "duplicate source name 'load'; already used by sources[0]"
        )
    }

    @Test("at most one stdin source")
    func secondStdin() throws {
        let yaml = ConfigFixtures.minimalAgent + "  - { type: stdin, name: a }\n  - { type: stdin, name: b }\n"
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(error, line: 10, column: 13, keyPath: "sources[2].type", message: "only one stdin source")
    }

    @Test("no sources")
    func noSources() throws {
        let yaml = ConfigFixtures.minimalAgent.replacing(
            "sources:\n  - { type: sensor, name: load, paths: [/proc/loadavg] }",
            with: "sources: []"
        )
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(error, line: 7, column: 10, keyPath: "sources", message: "at least one source")
    }

    @Test("sensor without paths")
    func sensorWithoutPaths() throws {
        let yaml = ConfigFixtures.minimalAgent.replacing("paths: [/proc/loadavg]", with: "paths: []")
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(error, line: 8, column: 40, keyPath: "sources[0].paths", message: "at least one path")
    }

    @Test("invalid agent id")
    func invalidAgentID() throws {
        let yaml = ConfigFixtures.minimalAgent.replacing("id: edge-01", with: "id: edge 01")
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(error, line: 2, column: 7, keyPath: "agent.id", message: "invalid agent id 'edge 01'")
    }

    @Test("reconnect.initial above reconnect.max")
    func reconnectOrder() throws {
        let yaml = ConfigFixtures.minimalAgent.replacing(
            "  tls:",
            with: "  reconnect: { initial: 1m, max: 30s }\n  tls:"
        )
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(
            error,
            line: 6,
            column: 25,
            keyPath: "collector.reconnect.initial",
            message: "reconnect.initial (1m) must not exceed reconnect.max (30s)"
        )
    }

    @Test("fsync value not in the list")
    func invalidFsync() throws {
        let error = try ConfigFixtures.agentError(ConfigFixtures.minimalAgent + "spool:\n  fsync: sometimes\n")
        expectConfigError(
            error,
            line: 10,
            column: 10,
            keyPath: "spool.fsync",
            message: "unknown fsync policy 'sometimes'; expected one of: always, interval, never"
        )
    }

    @Test("fsync_interval with fsync: always points at fsync_interval")
    func fsyncIntervalWithAlways() throws {
        let yaml = ConfigFixtures.minimalAgent + "spool:\n  fsync: always\n  fsync_interval: 5s\n"
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(
            error,
            line: 11,
            column: 3,
            keyPath: "spool.fsync_interval",
            message: "key 'fsync_interval' only applies with fsync: interval, not with fsync: always"
        )
    }

    @Test("segment_bytes above a quarter of max_bytes")
    func segmentAboveQuarter() throws {
        let yaml = ConfigFixtures.minimalAgent + "spool:\n  max_bytes: 16MiB\n  segment_bytes: 8MiB\n"
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(
            error,
            line: 11,
            column: 18,
            keyPath: "spool.segment_bytes",
            message: "segment_bytes (8MiB) must be at most a quarter of max_bytes (16MiB), that is 4MiB"
        )
    }

    @Test("max_bytes too small for the default segment_bytes points at max_bytes")
    func maxBytesBelowDefaultSegments() throws {
        let error = try ConfigFixtures.agentError(ConfigFixtures.minimalAgent + "spool:\n  max_bytes: 16MiB\n")
        expectConfigError(
            error,
            line: 10,
            column: 14,
            keyPath: "spool.max_bytes",
            message: "max_bytes (16MiB) must be at least 4 times segment_bytes (8MiB, the default)"
        )
    }

    @Test("spool.max_bytes below 4 times batch.max_bytes points at spool.max_bytes")
    func spoolBelowBatch() throws {
        let yaml = ConfigFixtures.minimalAgent + "spool:\n  max_bytes: 2MiB\n  segment_bytes: 256KiB\n"
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(
            error,
            line: 10,
            column: 14,
            keyPath: "spool.max_bytes",
            message: "spool.max_bytes (2MiB) must be at least 4 times batch.max_bytes (1MiB)"
        )
    }

    @Test("batch.max_bytes above a quarter of the default spool points at batch.max_bytes")
    func batchAboveDefaultSpool() throws {
        let error = try ConfigFixtures.agentError(ConfigFixtures.minimalAgent + "batch:\n  max_bytes: 128MiB\n")
        expectConfigError(
            error,
            line: 10,
            column: 14,
            keyPath: "batch.max_bytes",
            message: "spool.max_bytes (256MiB) must be at least 4 times batch.max_bytes (128MiB)"
        )
    }

    @Test("when_full value not in the list")
    func invalidWhenFull() throws {
        let yaml = ConfigFixtures.minimalAgent.replacing(
            "[/proc/loadavg] }",
            with: "[/proc/loadavg], when_full: wait }"
        )
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(
            error,
            line: 8,
            column: 68,
            keyPath: "sources[0].when_full",
            message: "unknown when_full policy 'wait'; expected one of: block, drop_oldest, drop_newest"
        )
    }

    @Test("start_at is not valid for a sensor source")
    func startAtOnSensor() throws {
        let yaml = ConfigFixtures.minimalAgent.replacing("[/proc/loadavg] }", with: "[/proc/loadavg], start_at: end }")
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(
            error,
            line: 8,
            column: 57,
            keyPath: "sources[0].start_at",
            message: "key 'start_at' is not valid for a source of type sensor"
        )
    }

    @Test("unknown log level lists the levels")
    func invalidLogLevel() throws {
        let error = try ConfigFixtures.agentError(ConfigFixtures.minimalAgent + "log: { level: verbose }\n")
        expectConfigError(
            error,
            line: 9,
            column: 15,
            keyPath: "log.level",
            message: "expected one of: trace, debug, info, notice, warning, error, critical"
        )
    }
}
