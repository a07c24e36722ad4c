import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct LogfmtParserTests {
    let logfmt = ParserConfig(kind: .logfmt)

    @Test func pairsQuotedValuesAndFlags() throws {
        let event = try ParserFixture.event(logfmt, #"level=info msg="hello \"world\"" took=12.5 cached   path=/a=b"#)
        #expect(
            event
                == ParserFixture.expected([
                    ("level", .text("info")), ("msg", .text(#"hello "world""#)), ("took", .number(12.5)),
                    ("cached", .bool(true)), ("path", .text("/a=b")),
                ])
        )
    }

    @Test func escapesInQuotedValues() throws {
        let event = try ParserFixture.event(logfmt, #"a="x\\y\nz\t\q" b="" c="42""#)
        #expect(event == ParserFixture.expected([("a", .text("x\\y\nz\t\\q")), ("c", .number(42))]))
    }

    @Test func emptyValuesAreLeftOutAndBlankLinesSkipped() throws {
        #expect(
            try ParserFixture.event(logfmt, "a= b=1\tc=2 ")
                == ParserFixture.expected([("b", .number(1)), ("c", .number(2))])
        )
        #expect(try ParserFixture.events(logfmt, ["", "  \t "]) == [nil, nil])
    }

    @Test func tagsTypesAndTimestamp() throws {
        let config = ParserConfig(
            kind: .logfmt,
            timestamp: ParserConfig.Timestamp(field: "ts", format: .rfc3339),
            tags: ["host", "debug"],
            types: ["ok": .bool, "code": .string]
        )
        let event = try ParserFixture.event(
            config,
            "ts=2026-11-29T12:00:00.5Z host=edge-1 debug ok=YES code=007 temp=21"
        )
        #expect(
            event
                == ParserFixture.expected(
                    timestamp: 1_795_953_600_500_000_000,
                    tags: ["host": "edge-1", "debug": "true"],
                    [("ok", .bool(true)), ("code", .text("007")), ("temp", .number(21))]
                )
        )
    }

    @Test func malformedLines() throws {
        expectMessage(
            try ParserFixture.error(logfmt, #"a=1 msg="abc"#),
            contains: "unterminated quoted value of 'msg'",
            "column 9"
        )
        expectMessage(try ParserFixture.error(logfmt, "a=1 =x"), contains: "expected a key before '='", "column 5")
        expectMessage(
            try ParserFixture.error(logfmt, #"a="x"y"#),
            contains: "expected a space after the quoted value of 'a'",
            "column 6",
            "found 'y'"
        )
        expectMessage(
            try ParserFixture.error(logfmt, #"a=b"c"#),
            contains: "unexpected '\"' in the value of 'a'",
            "column 4"
        )
        expectMessage(try ParserFixture.error(logfmt, #"a"b=1"#), contains: "unexpected '\"' in a key", "column 2")
        expectMessage(try ParserFixture.error(logfmt, "a=1 a=2"), contains: "duplicate field 'a'")
        expectMessage(try ParserFixture.error(logfmt, "a= b="), contains: "no field values")
    }

    @Test func missingTimestampField() throws {
        let config = ParserConfig(kind: .logfmt, timestamp: ParserConfig.Timestamp(field: "ts", format: .unix))
        expectMessage(try ParserFixture.error(config, "a=1"), contains: "missing timestamp field 'ts'")
        expectMessage(try ParserFixture.error(config, "ts=soon a=1"), contains: "timestamp field 'ts'", "'soon'")
    }
}
