import Testing

@testable import LeptonCore

/// `parser:` settings, read from a document whose only key is `parser`.
@Suite struct ParserConfigTests {
    static func parser(_ yaml: String) throws -> ParserConfig {
        let map = try ConfigFixtures.root(yaml).mapping(allowedKeys: ["parser"])
        return try ParserConfig(config: map.required("parser"))
    }

    static func parserError(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ConfigError {
        try #require(throws: ConfigError.self, sourceLocation: sourceLocation) {
            try parser(yaml)
        }
    }

    @Test(arguments: ParserConfig.Format.allCases.filter { $0 != .regex })
    func shorthand(format: ParserConfig.Format) throws {
        let config = try Self.parser("parser: \(format.rawValue)\n")
        #expect(config == ParserConfig(format: format))
        #expect(config.formatName == format.rawValue)
        #expect(config.timestamp == nil)
        #expect(config.tags.isEmpty)
        #expect(config.types.isEmpty)
    }

    @Test func shorthandDefaults() throws {
        #expect(try Self.parser("parser: csv\n").kind == .csv(columns: nil, delimiter: ","))
        #expect(try Self.parser("parser: influx\n").kind == .influx(precision: .ns))
        #expect(ParserConfig.text.kind == .text)
    }

    @Test func csvMapping() throws {
        let yaml = """
            parser:
              type: csv
              columns: [time, host, temp, code]
              delimiter: ";"
              timestamp: { field: time, format: unix_ms }
              tags: [host]
              types: { temp: float, code: string }

            """
        let config = try Self.parser(yaml)
        #expect(
            config
                == ParserConfig(
                    kind: .csv(columns: ["time", "host", "temp", "code"], delimiter: ";"),
                    timestamp: ParserConfig.Timestamp(field: "time", format: .unixMilliseconds),
                    tags: ["host"],
                    types: ["temp": .float, "code": .string]
                )
        )
        #expect(config.formatName == "csv")
    }

    @Test func tabDelimiter() throws {
        let config = try Self.parser("parser: { type: csv, delimiter: \"\\t\" }\n")
        #expect(config.kind == .csv(columns: nil, delimiter: "\t"))
    }

    @Test func regexMapping() throws {
        let yaml = """
            parser:
              type: regex
              pattern: '^(?<ts>\\S+) (?<level>\\w+) (?<msg>.*)$'
              timestamp: { field: ts, format: rfc3339 }
              tags: [level]

            """
        let config = try Self.parser(yaml)
        #expect(config.kind == .regex(pattern: #"^(?<ts>\S+) (?<level>\w+) (?<msg>.*)$"#))
        #expect(config.timestamp == ParserConfig.Timestamp(field: "ts", format: .rfc3339))
        #expect(config.tags == ["level"])
    }

    @Test func influxPrecision() throws {
        let config = try Self.parser("parser:\n  type: influx\n  precision: ms\n")
        #expect(config.kind == .influx(precision: .ms))
        #expect(ParserConfig.Precision.s.nanosecondsPerUnit == 1_000_000_000)
    }

    @Test func jsonAndLogfmtMappings() throws {
        let json = try Self.parser("parser:\n  type: json\n  types: { id: string }\n  tags: [host]\n")
        #expect(json == ParserConfig(kind: .json, tags: ["host"], types: ["id": .string]))
        let logfmt = try Self.parser("parser: { type: logfmt, timestamp: { field: t, format: unix } }\n")
        #expect(logfmt == ParserConfig(kind: .logfmt, timestamp: ParserConfig.Timestamp(field: "t", format: .unix)))
    }

    @Test func keyNotValidForTheType() throws {
        let yaml = """
            parser:
              type: json
              columns: [a, b]

            """
        let error = try Self.parserError(yaml)
        expectConfigError(
            error,
            line: 3,
            column: 3,
            keyPath: "parser.columns",
            message: "key 'columns' is not valid for a parser of type json"
        )
    }

    @Test func precisionIsOnlyForInflux() throws {
        let error = try Self.parserError("parser:\n  type: csv\n  precision: ms\n")
        expectConfigError(
            error,
            line: 3,
            column: 3,
            keyPath: "parser.precision",
            message: "key 'precision' is not valid for a parser of type csv"
        )
    }

    @Test func unknownKey() throws {
        let error = try Self.parserError("parser:\n  type: csv\n  colums: [a]\n")
        expectConfigError(
            error,
            line: 3,
            column: 3,
            keyPath: "parser.colums",
            message: "unknown key 'colums' (did you mean 'columns'?)"
        )
    }

    @Test func unknownFormat() throws {
        let error = try Self.parserError("parser: xml\n")
        expectConfigError(
            error,
            line: 1,
            column: 9,
            keyPath: "parser",
            message: "unknown parser type 'xml'; expected one of: text, number, json, csv, logfmt, influx, regex"
        )
    }

    @Test func missingType() throws {
        let error = try Self.parserError("parser:\n  tags: [a]\n")
        expectConfigError(error, line: 2, column: 3, keyPath: "parser.type", message: "missing required key 'type'")
    }

    @Test func regexShorthandNeedsAPattern() throws {
        let error = try Self.parserError("parser: regex\n")
        expectConfigError(error, line: 1, column: 9, keyPath: "parser", message: "a regex parser needs a pattern")
    }

    @Test func regexWithoutPattern() throws {
        let error = try Self.parserError("parser:\n  type: regex\n")
        expectConfigError(
            error,
            line: 2,
            column: 3,
            keyPath: "parser.pattern",
            message: "missing required key 'pattern'"
        )
    }

    @Test func badRegex() throws {
        let yaml = """
            parser:
              type: regex
              pattern: '(?<level>\\w+'

            """
        let error = try Self.parserError(yaml)
        expectConfigError(error, line: 3, column: 12, keyPath: "parser.pattern", message: "invalid regular expression")
    }

    @Test func regexWithoutNamedGroups() throws {
        let yaml = """
            parser:
              type: regex
              pattern: '^(\\w+) (?:\\d+)$'

            """
        let error = try Self.parserError(yaml)
        expectConfigError(
            error,
            line: 3,
            column: 12,
            keyPath: "parser.pattern",
            message: "the pattern has no named group"
        )
    }

    @Test func regexFieldsMustBeGroups() throws {
        let yaml = """
            parser:
              type: regex
              pattern: '^(?<level>\\w+) (?<msg>.*)$'
              tags: [level, host]

            """
        let error = try Self.parserError(yaml)
        expectConfigError(
            error,
            line: 4,
            column: 17,
            keyPath: "parser.tags[1]",
            message: "the pattern has no named group 'host'"
        )
    }

    @Test(arguments: ["\";;\"", "\"\"", "'\"'", "é"])
    func badDelimiter(delimiter: String) throws {
        let error = try Self.parserError("parser:\n  type: csv\n  delimiter: \(delimiter)\n")
        expectConfigError(
            error,
            line: 3,
            column: 14,
            keyPath: "parser.delimiter",
            message: "expected one ASCII character other than '\"'"
        )
    }

    @Test func csvFieldsMustBeColumns() throws {
        let yaml = """
            parser:
              type: csv
              columns: [a, b]
              types: { b: int, c: float }

            """
        let error = try Self.parserError(yaml)
        expectConfigError(
            error,
            line: 4,
            column: 20,
            keyPath: "parser.types.c",
            message: "'c' is not one of the columns (a, b)"
        )
    }

    @Test func duplicateColumn() throws {
        let error = try Self.parserError("parser:\n  type: csv\n  columns: [a, b, a]\n")
        expectConfigError(error, line: 3, column: 19, keyPath: "parser.columns[2]", message: "duplicate column 'a'")
    }

    @Test func timestampFieldCannotBeATagOrTyped() throws {
        let tagged = try Self.parserError(
            "parser:\n  type: json\n  timestamp: { field: ts, format: unix }\n  tags: [ts]\n"
        )
        expectConfigError(
            tagged,
            line: 4,
            column: 10,
            keyPath: "parser.tags[0]",
            message: "'ts' is the timestamp field"
        )
        let typed = try Self.parserError(
            "parser:\n  type: json\n  timestamp: { field: ts, format: unix }\n  types: { ts: int }\n"
        )
        expectConfigError(
            typed,
            line: 4,
            column: 12,
            keyPath: "parser.types.ts",
            message: "'ts' is the timestamp field"
        )
    }

    @Test func tagsCannotBeTyped() throws {
        let error = try Self.parserError("parser:\n  type: logfmt\n  tags: [host]\n  types: { host: string }\n")
        expectConfigError(error, line: 4, column: 12, keyPath: "parser.types.host", message: "'host' is a tag")
    }

    @Test func badValues() throws {
        let format = try Self.parserError("parser:\n  type: json\n  timestamp: { field: ts, format: iso }\n")
        expectConfigError(
            format,
            line: 3,
            column: 35,
            keyPath: "parser.timestamp.format",
            message: "unknown timestamp format 'iso'; expected one of: rfc3339, unix, unix_ms, unix_us, unix_ns"
        )
        let type = try Self.parserError("parser:\n  type: json\n  types: { a: number }\n")
        expectConfigError(
            type,
            line: 3,
            column: 15,
            keyPath: "parser.types.a",
            message: "unknown field type 'number'; expected one of: int, float, bool, string"
        )
        let precision = try Self.parserError("parser:\n  type: influx\n  precision: minutes\n")
        expectConfigError(
            precision,
            line: 3,
            column: 14,
            keyPath: "parser.precision",
            message: "unknown precision 'minutes'; expected one of: ns, us, ms, s"
        )
    }

    @Test func namedGroupCandidates() {
        #expect(
            ParserConfig.namedGroupCandidates(in: #"(?<a>x)(?'b'y)(?P<c>z)\(?<d>)[(?<e>)](?<=f)(?<!g)"#) == [
                "a", "b", "c",
            ]
        )
    }
}
