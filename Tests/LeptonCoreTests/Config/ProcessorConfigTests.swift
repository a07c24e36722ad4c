import Testing

@testable import LeptonCore

/// Every processor type's keys, defaults and errors, read from a lone processor mapping as `agent.yaml`.
@Suite("ProcessorConfig")
struct ProcessorConfigTests {
    /// Reads `yaml` as one processor mapping at the document root (key paths start at the processor's keys).
    static func parse(_ yaml: String) throws -> ProcessorConfig {
        try ProcessorConfig(config: ConfigFixtures.root(yaml))
    }

    /// The error of a processor mapping that must not parse.
    static func error(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ConfigError {
        try #require(throws: ConfigError.self, sourceLocation: sourceLocation) { try parse(yaml) }
    }

    // MARK: - Happy paths

    @Test func filterWithNestedConditions() throws {
        let yaml = """
            type: filter
            drop:
              any:
                - {field: temp, op: ">", value: 80}
                - {tag: site, op: in, value: [lyon, "12", 12]}
                - {name: ~, op: matches, value: "^debug"}
                - not: {field: ok, op: exists}
                - all: [{field: a, op: ==, value: "30"}, {field: b, op: "!=", value: 30}]

            """
        let expected = FilterConfig(
            action: .drop,
            condition: .any([
                .compare(.field("temp"), .greater(80)),
                .compare(.tag("site"), .oneOf([.text("lyon"), .text("12"), .number(12)])),
                .compare(.name, .matches(try FilterPattern("^debug"))),
                .not(.compare(.field("ok"), .exists)),
                .all([.compare(.field("a"), .equal(.text("30"))), .compare(.field("b"), .notEqual(.number(30)))]),
            ])
        )
        let config = try Self.parse(yaml)
        #expect(config == .filter(expected))
        #expect(config.typeName == "filter")
    }

    @Test func filterKeepWithEveryOperator() throws {
        let operators: [(String, String, FilterOperation)] = [
            ("==", "true", .equal(.text("true"))),
            ("\"!=\"", "-4.5", .notEqual(.number(-4.5))),
            ("<", "1e3", .less(1000)),
            ("<=", "\"7\"", .lessOrEqual(7)),
            ("\">\"", "0", .greater(0)),
            ("\">=\"", "0.5", .greaterOrEqual(0.5)),
            ("not_in", "[a, 2]", .noneOf([.text("a"), .number(2)])),
        ]
        for (op, value, operation) in operators {
            let config = try Self.parse("type: filter\nkeep: {field: v, op: \(op), value: \(value)}\n")
            #expect(
                config == .filter(FilterConfig(action: .keep, condition: .compare(.field("v"), operation))),
                "\(op)"
            )
        }
    }

    @Test func fieldsWithEveryKey() throws {
        let yaml = """
            type: fields
            rename: {raw: temp, hum_raw: hum}
            drop: [debug]
            keep: [temp, hum]
            tags: {site: lyon, host: "${hostname}"}
            scale: {temp: 0.001}
            offset: {temp: -1.5}
            convert: {temp: celsius_to_fahrenheit, mem: bytes_to_mib}
            to_tag: [room]

            """
        let expected = FieldsConfig(
            rename: [FieldsConfig.Rename(from: "raw", to: "temp"), FieldsConfig.Rename(from: "hum_raw", to: "hum")],
            drop: ["debug"],
            keep: ["temp", "hum"],
            scale: ["temp": 0.001],
            offset: ["temp": -1.5],
            convert: ["temp": .celsiusToFahrenheit, "mem": .bytesToMiB],
            toTag: ["room"],
            tags: ["site": "lyon", "host": "${hostname}"]
        )
        let config = try Self.parse(yaml)
        #expect(config == .fields(expected))
        #expect(config.typeName == "fields")
    }

    @Test func deadband() throws {
        let full = try Self.parse("type: deadband\nabsolute: 0.5\nrelative: 0.01\nmax_silence: 1m\nfields: [temp]\n")
        let expected = DeadbandConfig(absolute: 0.5, relative: 0.01, maxSilence: .seconds(60), fields: ["temp"])
        #expect(full == .deadband(expected))
        #expect(full.typeName == "deadband")
        let defaults = try Self.parse("type: deadband\nrelative: 0.02\n")
        #expect(defaults == .deadband(DeadbandConfig(relative: 0.02, maxSilence: .seconds(300))))
    }

    @Test func swingingDoor() throws {
        let config = try Self.parse("type: swinging_door\nmax_error: 0.2\n")
        #expect(config == .swingingDoor(SwingingDoorConfig(maxError: 0.2, maxSilence: .seconds(300))))
        #expect(config.typeName == "swinging_door")
        let full = try Self.parse("type: swinging_door\nmax_error: 1\nmax_silence: 30s\nfields: [a, b]\n")
        #expect(full == .swingingDoor(SwingingDoorConfig(maxError: 1, maxSilence: .seconds(30), fields: ["a", "b"])))
    }

    @Test func aggregate() throws {
        let full = try Self.parse("type: aggregate\nwindow: 10s\nstats: [max, count]\ngrace: 0s\nfields: [temp]\n")
        let expected = AggregateConfig(
            window: .seconds(10),
            stats: [.max, .count],
            grace: .zero,
            fields: ["temp"],
            windowLabel: "10s"
        )
        #expect(full == .aggregate(expected))
        #expect(full.typeName == "aggregate")

        let defaults = try Self.parse("type: aggregate\nwindow: 10000ms\n")
        guard case .aggregate(let config) = defaults else {
            Issue.record("expected an aggregate, got \(defaults)")
            return
        }
        #expect(config.stats == [.count, .min, .max, .mean, .sum, .last])
        #expect(config.grace == .seconds(2))
        #expect(config.window == .seconds(10))
        #expect(config.windowLabel == "10000ms", "the window tag is written as in the file")
        #expect(config.fields == nil)
    }

    @Test func rateLimitSampleAndDedupe() throws {
        #expect(
            try Self.parse("type: rate_limit\nper_second: 2.5\n")
                == .rateLimit(RateLimitConfig(perSecond: 2.5, burst: 3))
        )
        #expect(
            try Self.parse("type: rate_limit\nper_second: 10\nburst: 1\n")
                == .rateLimit(RateLimitConfig(perSecond: 10, burst: 1))
        )
        #expect(try Self.parse("type: sample\nevery: 10\n") == .sample(SampleConfig(every: 10)))
        #expect(try Self.parse("type: dedupe\n") == .dedupe(DedupeConfig()))
        #expect(try Self.parse("type: dedupe\nmax_silence: 1h\n") == .dedupe(DedupeConfig(maxSilence: .seconds(3600))))
        #expect(ProcessorConfig.rateLimit(RateLimitConfig(perSecond: 1)).typeName == "rate_limit")
        #expect(ProcessorConfig.sample(SampleConfig(every: 1)).typeName == "sample")
        #expect(ProcessorConfig.dedupe(DedupeConfig()).typeName == "dedupe")
    }

    @Test func processorsOfASourceInTheAgentConfiguration() throws {
        let yaml =
            ConfigFixtures.minimalAgent.replacing(
                "  - { type: sensor, name: load, paths: [/proc/loadavg] }\n",
                with: """
                      - type: sensor
                        name: load
                        paths: [/proc/loadavg]
                        processors:
                          - { type: deadband, absolute: 0.5 }
                          - { type: sample, every: 2 }

                    """
            )
        let config = try ConfigFixtures.agent(yaml)
        #expect(
            config.sources.first?.processors == [
                .deadband(DeadbandConfig(absolute: 0.5)), .sample(SampleConfig(every: 2)),
            ]
        )
    }

    // MARK: - Errors

    @Test func keyOfAnotherProcessorType() throws {
        let error = try Self.error("type: sample\nevery: 2\nabsolute: 1\n")
        expectConfigError(
            error,
            line: 3,
            column: 1,
            keyPath: "absolute",
            message: "key 'absolute' is not valid for a processor of type sample"
        )
    }

    @Test func unknownKey() throws {
        let error = try Self.error("type: sample\nevrey: 2\n")
        expectConfigError(
            error,
            line: 2,
            column: 1,
            keyPath: "evrey",
            message: "unknown key 'evrey' (did you mean 'every'?)"
        )
    }

    @Test func unknownOrMissingType() throws {
        let unknown = try Self.error("type: median\n")
        expectConfigError(unknown, line: 1, column: 7, keyPath: "type", message: "unknown processor type 'median'")
        #expect(unknown.message.contains("swinging_door"))
        let missing = try Self.error("every: 2\n")
        expectConfigError(missing, line: 1, column: 1, keyPath: "type", message: "missing required key 'type'")
    }

    @Test func filterWithoutKeepOrDrop() throws {
        let error = try Self.error("type: filter\n")
        expectConfigError(error, line: 1, column: 1, keyPath: "", message: "a filter needs 'keep' or 'drop'")
    }

    @Test func filterWithBothKeepAndDrop() throws {
        let error = try Self.error("type: filter\nkeep: {field: a, op: exists}\ndrop: {field: b, op: exists}\n")
        expectConfigError(error, line: 3, column: 1, keyPath: "drop", message: "either 'keep' or 'drop', not both")
    }

    @Test func unknownOperator() throws {
        let error = try Self.error("type: filter\nkeep: {field: temp, op: \"~=\", value: 3}\n")
        expectConfigError(error, line: 2, column: 25, keyPath: "keep.op", message: "unknown operator '~='")
        #expect(error.message.contains("==, !=, <, <=, >, >=, in, not_in, matches, exists"))
    }

    @Test func missingOperator() throws {
        let error = try Self.error("type: filter\nkeep: {field: temp}\n")
        expectConfigError(error, line: 2, column: 7, keyPath: "keep.op", message: "missing required key 'op'")
    }

    @Test func orderingOperatorNeedsANumber() throws {
        let error = try Self.error("type: filter\nkeep: {field: temp, op: \"<\", value: warm}\n")
        expectConfigError(error, line: 2, column: 37, keyPath: "keep.value", message: "'<' compares numbers")
    }

    @Test func invalidRegularExpression() throws {
        let error = try Self.error("type: filter\nkeep: {tag: host, op: matches, value: \"edge-(\"}\n")
        expectConfigError(
            error,
            line: 2,
            column: 39,
            keyPath: "keep.value",
            message: "invalid regular expression 'edge-('"
        )
    }

    @Test func errorsInsideNestedConditionsCarryTheirPath() throws {
        let yaml = "type: filter\nkeep: {all: [{field: a, op: exists}, {not: {field: b, op: \"<\", value: x}}]}\n"
        let error = try Self.error(yaml)
        expectConfigError(error, line: 2, column: 71, keyPath: "keep.all[1].not.value", message: "compares numbers")
    }

    @Test func conditionShapeErrors() throws {
        let exists = try Self.error("type: filter\nkeep: {field: temp, op: exists, value: 1}\n")
        expectConfigError(exists, line: 2, column: 33, keyPath: "keep.value", message: "'exists' takes no value")

        let two = try Self.error("type: filter\nkeep: {field: a, tag: b, op: exists}\n")
        expectConfigError(two, line: 2, column: 18, keyPath: "keep.tag", message: "cannot be combined with 'field'")

        let name = try Self.error("type: filter\ndrop: {name: cpu, op: ==, value: x}\n")
        expectConfigError(name, line: 2, column: 14, keyPath: "drop.name", message: "write 'name: ~'")

        let list = try Self.error("type: filter\nkeep: {field: temp, op: in, value: 3}\n")
        expectConfigError(list, line: 2, column: 36, keyPath: "keep.value", message: "expected a list")

        let empty = try Self.error("type: filter\nkeep: {any: []}\n")
        expectConfigError(empty, line: 2, column: 13, keyPath: "keep.any", message: "expected at least one condition")

        let nothing = try Self.error("type: filter\nkeep: {op: exists}\n")
        expectConfigError(nothing, line: 2, column: 7, keyPath: "keep", message: "a condition needs one of")
    }

    @Test func unknownStat() throws {
        let error = try Self.error("type: aggregate\nwindow: 10s\nstats: [count, median]\n")
        expectConfigError(
            error,
            line: 3,
            column: 16,
            keyPath: "stats[1]",
            message: "unknown stat 'median'; expected one of: count, min, max, mean, sum, last"
        )
    }

    @Test func aggregateWindowMustBePositive() throws {
        let error = try Self.error("type: aggregate\nwindow: 0s\n")
        expectConfigError(error, line: 2, column: 9, keyPath: "window", message: "must be greater than 0")
    }

    @Test func relativeMustBePositive() throws {
        for value in ["0", "-0.1"] {
            let error = try Self.error("type: deadband\nabsolute: 0.5\nrelative: \(value)\n")
            expectConfigError(error, line: 3, column: 11, keyPath: "relative", message: "must be greater than 0")
        }
    }

    @Test func deadbandNeedsABand() throws {
        let error = try Self.error("type: deadband\nmax_silence: 1m\n")
        expectConfigError(error, line: 1, column: 1, keyPath: "", message: "a deadband needs 'absolute', 'relative'")
    }

    @Test func otherValueErrors() throws {
        let noError = try Self.error("type: swinging_door\nmax_silence: 1m\n")
        expectConfigError(
            noError,
            line: 1,
            column: 1,
            keyPath: "max_error",
            message: "missing required key 'max_error'"
        )

        let burst = try Self.error("type: rate_limit\nper_second: 1\nburst: 0\n")
        expectConfigError(burst, line: 3, column: 8, keyPath: "burst", message: "must be at least 1")

        let every = try Self.error("type: sample\nevery: 0\n")
        expectConfigError(every, line: 2, column: 8, keyPath: "every", message: "must be at least 1")

        let conversion = try Self.error("type: fields\nconvert: {t: furlongs}\n")
        expectConfigError(
            conversion,
            line: 2,
            column: 14,
            keyPath: "convert.t",
            message: "unknown conversion 'furlongs'"
        )

        let nothing = try Self.error("type: fields\n")
        expectConfigError(nothing, line: 1, column: 1, keyPath: "", message: "a fields processor needs at least one of")
    }

    @Test func maxSilenceOfZeroInsideASourceIsReportedAtTheValue() throws {
        let yaml = ConfigFixtures.minimalAgent.replacing(
            "  - { type: sensor, name: load, paths: [/proc/loadavg] }\n",
            with: """
                  - type: sensor
                    name: load
                    paths: [/proc/loadavg]
                    processors:
                      - { type: deadband, absolute: 0.5, max_silence: 0s }

                """
        )
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(
            error,
            line: 12,
            column: 55,
            keyPath: "sources[0].processors[0].max_silence",
            message: "must be greater than 0"
        )
    }
}
