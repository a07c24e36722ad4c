import Testing

@testable import LeptonCore

/// The keys sources gained with the edge pipeline: sensor scaling and naming, exec, multi-line and shared
/// processors, each read and each refused with file, line and key.
@Suite struct SourceKindConfigTests {
    static func agent(sources: String, processors: String = "") -> String {
        """
        agent: { id: edge-01, state_dir: /var/lib/lepton-agent }
        collector: { address: 127.0.0.1:7443, tls: { ca: ca.pem, cert: edge.pem, key: edge-key.pem } }
        \(processors)sources:
        \(sources)
        """
    }

    @Test func sensorExecAndMultilineKeysAreRead() throws {
        let sources = [
            "  - { type: sensor, name: t, paths: [/sys/t*], scale: 0.001, offset: -1, label_from: type, mode: rate }",
            "  - { type: exec, name: s, command: [sensors, -j], interval: 30s, timeout: 2s, parser: json }",
            "  - { type: stdin, name: p, multiline: { start: '^\\S', max_lines: 9, timeout: 1s }, max_line_bytes: 4KiB }",
        ]
        let config = try ConfigFixtures.agent(Self.agent(sources: sources.joined(separator: "\n")))
        #expect(
            config.sources[0].kind
                == .sensor(
                    SensorConfig(paths: ["/sys/t*"], scale: 0.001, offset: -1, labelFrom: "type", mode: .rate)
                )
        )
        #expect(
            config.sources[1].kind
                == .exec(
                    ExecConfig(
                        command: ["sensors", "-j"],
                        interval: .seconds(30),
                        timeout: .seconds(2),
                        parser: ParserConfig(format: .json)
                    )
                )
        )
        #expect(
            config.sources[2].kind
                == .stdin(
                    LineConfig(
                        multiline: MultilineConfig(start: "^\\S", maxLines: 9, timeout: .seconds(1)),
                        maxLineBytes: 4096
                    )
                )
        )
        #expect(config.sources[1].whenFull == .dropOldest, "exec defaults to drop_oldest like a sensor")
    }

    @Test func aFileSourceTakesOnePathOrSeveralAndExcludePatterns() throws {
        let sources = [
            "  - { type: file, name: one, path: /var/log/app.log }",
            "  - { type: file, name: many, path: [/var/log/nginx/*.log, /var/log/app.log], exclude: '*.gz' }",
            "  - { type: file, name: ex, path: /var/log/*, exclude: [old-*, /var/log/private/*] }",
        ]
        let config = try ConfigFixtures.agent(Self.agent(sources: sources.joined(separator: "\n")))
        #expect(config.sources[0].kind == .file(FileSourceConfig(paths: ["/var/log/app.log"])))
        #expect(
            config.sources[1].kind
                == .file(FileSourceConfig(paths: ["/var/log/nginx/*.log", "/var/log/app.log"], exclude: ["*.gz"]))
        )
        #expect(
            config.sources[2].kind
                == .file(FileSourceConfig(paths: ["/var/log/*"], exclude: ["old-*", "/var/log/private/*"]))
        )
    }

    @Test func anEmptyPathListIsRefusedAtItsKey() throws {
        let error = try ConfigFixtures.agentError(Self.agent(sources: "  - { type: file, name: f, path: [] }"))
        expectConfigError(error, line: 4, column: 34, keyPath: "sources[0].path", message: "expected at least one path")
    }

    @Test func anEmptyCommandIsRefusedAtItsKey() throws {
        let error = try ConfigFixtures.agentError(Self.agent(sources: "  - { type: exec, name: s, command: [] }"))
        expectConfigError(
            error,
            line: 4,
            column: 37,
            keyPath: "sources[0].command",
            message: "expected the program and its arguments"
        )
    }

    @Test func aLabelFileMustBeAFileName() throws {
        let error = try ConfigFixtures.agentError(
            Self.agent(sources: "  - { type: sensor, name: t, paths: [/a], label_from: ../type }")
        )
        expectConfigError(error, line: 4, column: 55, keyPath: "sources[0].label_from", message: "expected a file name")
    }

    @Test func anUnknownSensorModeListsTheModes() throws {
        let error = try ConfigFixtures.agentError(
            Self.agent(sources: "  - { type: sensor, name: t, paths: [/a], mode: counter }")
        )
        expectConfigError(
            error,
            line: 4,
            column: 49,
            keyPath: "sources[0].mode",
            message: "unknown sensor mode 'counter'; expected one of: gauge, rate"
        )
    }

    @Test func aBadMultilinePatternIsRefusedAtStart() throws {
        let error = try ConfigFixtures.agentError(
            Self.agent(sources: "  - { type: stdin, name: p, multiline: { start: '(' } }")
        )
        expectConfigError(
            error,
            line: 4,
            column: 49,
            keyPath: "sources[0].multiline.start",
            message: "invalid regular expression"
        )
    }

    @Test func anUnknownSharedProcessorNameListsTheDefinedOnes() throws {
        let error = try ConfigFixtures.agentError(
            Self.agent(
                sources: "  - { type: sensor, name: t, paths: [/a], processors: [fast] }",
                processors: "processors:\n  slow: { type: deadband, absolute: 1 }\n"
            )
        )
        expectConfigError(
            error,
            line: 6,
            column: 56,
            keyPath: "sources[0].processors[0]",
            message: "no processor named 'fast' under the top-level processors; defined: slow"
        )
    }
}
