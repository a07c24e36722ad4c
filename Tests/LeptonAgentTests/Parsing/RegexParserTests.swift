import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct RegexParserTests {
    @Test func namedGroupsBecomeFieldsInPatternOrder() throws {
        let config = ParserConfig(kind: .regex(pattern: #"^(?<level>\w+) (?<code>\d+) (?<msg>.*)$"#))
        let event = try ParserFixture.event(config, "WARN 503 upstream is slow")
        #expect(
            event
                == ParserFixture.expected([
                    ("level", .text("WARN")), ("code", .number(503)), ("msg", .text("upstream is slow")),
                ])
        )
    }

    @Test func unnamedGroupsAreIgnoredAndUnmatchedOptionalGroupsLeftOut() throws {
        let config = ParserConfig(kind: .regex(pattern: #"^(\d+)-(?<a>\d+)(?: (?<b>\w+))?$"#))
        #expect(try ParserFixture.event(config, "1-42") == ParserFixture.expected([("a", .number(42))]))
        #expect(
            try ParserFixture.event(config, "1-42 x")
                == ParserFixture.expected([("a", .number(42)), ("b", .text("x"))])
        )
    }

    @Test func thePatternIsSearchedNotAnchored() throws {
        let config = ParserConfig(kind: .regex(pattern: #"took (?<ms>\d+(?:\.\d+)?)ms"#))
        #expect(
            try ParserFixture.event(config, "GET / took 12.5ms (cached)")
                == ParserFixture.expected([("ms", .number(12.5))])
        )
    }

    @Test func tagsTypesAndTimestamp() throws {
        let config = ParserConfig(
            kind: .regex(pattern: #"^(?<ts>\S+) (?<host>\S+) (?<pid>\d+) (?<ok>\w+)$"#),
            timestamp: ParserConfig.Timestamp(field: "ts", format: .unixMilliseconds),
            tags: ["host"],
            types: ["pid": .string, "ok": .bool]
        )
        let event = try ParserFixture.event(config, "1700000000123 edge-1 0042 off")
        #expect(
            event
                == ParserFixture.expected(
                    timestamp: 1_700_000_000_123_000_000,
                    tags: ["host": "edge-1"],
                    [("pid", .text("0042")), ("ok", .bool(false))]
                )
        )
    }

    @Test func aLineThatDoesNotMatchIsAnError() throws {
        let config = ParserConfig(kind: .regex(pattern: #"^(?<n>\d+)$"#))
        expectMessage(try ParserFixture.error(config, "abc"), contains: "does not match the pattern", "'abc'")
    }

    @Test func aPatternThatDoesNotCompileFailsEveryLine() throws {
        let config = ParserConfig(kind: .regex(pattern: "(?<n>\\d+"))
        expectMessage(try ParserFixture.error(config, "12"), contains: "invalid regular expression")
    }

    @Test func typeErrorsNameTheGroup() throws {
        let config = ParserConfig(kind: .regex(pattern: #"^(?<n>\w+)$"#), types: ["n": .int])
        expectMessage(try ParserFixture.error(config, "twelve"), contains: "field 'n'", "int", "'twelve'")
    }
}
