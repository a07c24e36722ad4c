import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct CSVParserTests {
    let csv = ParserConfig(format: .csv)

    @Test func headerFromTheFirstLine() throws {
        let events = try ParserFixture.events(csv, ["time,temp,hum", "1,21.5,40", "2,-3e2,x"])
        #expect(
            events == [
                nil,
                ParserFixture.expected([("time", .number(1)), ("temp", .number(21.5)), ("hum", .number(40))]),
                ParserFixture.expected([("time", .number(2)), ("temp", .number(-300)), ("hum", .text("x"))]),
            ]
        )
    }

    @Test func quotedValues() throws {
        let rows = [
            "a,b,c,d",
            "\"x, y\",\"say \"\"hi\"\"\",,\"\"",
            "\"\"\"\",,plain,\"1\"",
        ]
        let events = try ParserFixture.events(csv, rows)
        #expect(events[1] == ParserFixture.expected([("a", .text("x, y")), ("b", .text("say \"hi\""))]))
        #expect(events[2] == ParserFixture.expected([("a", .text("\"")), ("c", .text("plain")), ("d", .number(1))]))
    }

    @Test func configuredColumnsAndDelimiter() throws {
        let config = ParserConfig(kind: .csv(columns: ["host", "load"], delimiter: ";"))
        let events = try ParserFixture.events(config, ["web-1;0.5", "host;load", "web-2;1,5"])
        #expect(
            events == [
                ParserFixture.expected([("host", .text("web-1")), ("load", .number(0.5))]),
                nil,
                ParserFixture.expected([("host", .text("web-2")), ("load", .text("1,5"))]),
            ]
        )
    }

    @Test func tabDelimiter() throws {
        let config = ParserConfig(kind: .csv(columns: ["a", "b"], delimiter: "\t"))
        let event = try ParserFixture.event(config, "x y\t2")
        #expect(event == ParserFixture.expected([("a", .text("x y")), ("b", .number(2))]))
    }

    @Test func aRepeatedHeaderAndBlankLinesAreSkipped() throws {
        let events = try ParserFixture.events(csv, ["a,b", "1,2", "", "a,b", "3,4"])
        #expect(events.map { $0?[field: "a"] } == [nil, .number(1), nil, nil, .number(3)])
    }

    @Test func tagsTypesAndTimestamp() throws {
        let config = ParserConfig(
            kind: .csv(columns: ["ts", "host", "code", "zip"], delimiter: ","),
            timestamp: ParserConfig.Timestamp(field: "ts", format: .unix),
            tags: ["host"],
            types: ["code": .int, "zip": .string]
        )
        let event = try ParserFixture.event(config, "1700000000.25,edge-1,200,01234")
        #expect(
            event
                == ParserFixture.expected(
                    timestamp: 1_700_000_000_250_000_000,
                    tags: ["host": "edge-1"],
                    [("code", .number(200)), ("zip", .text("01234"))]
                )
        )
    }

    @Test func wrongNumberOfValues() throws {
        let config = ParserConfig(kind: .csv(columns: ["time", "temp", "hum"], delimiter: ","))
        expectMessage(try ParserFixture.error(config, "1,2"), contains: "2 values", "3 columns (time, temp, hum)")
        expectMessage(try ParserFixture.error(config, "1,2,3,4"), contains: "4 values", "3 columns")
        expectMessage(try ParserFixture.error(config, "1,2,3,"), contains: "4 values")
    }

    @Test func brokenQuoting() throws {
        let config = ParserConfig(kind: .csv(columns: ["a", "b"], delimiter: ","))
        expectMessage(try ParserFixture.error(config, "1,\"abc"), contains: "unterminated quoted value", "column 3")
        expectMessage(
            try ParserFixture.error(config, "\"a\"x,b"),
            contains: "expected ',' or the end of the line after a quoted value",
            "column 4",
            "found 'x'"
        )
    }

    @Test func badHeaders() throws {
        expectMessage(try ParserFixture.error(csv, "a,,c"), contains: "column 2 of the header has no name")
        expectMessage(try ParserFixture.error(csv, "a,b,a"), contains: "duplicate column 'a'", "column 5")
    }

    @Test func typeErrorsNameTheField() throws {
        let config = ParserConfig(kind: .csv(columns: ["code"], delimiter: ","), types: ["code": .int])
        expectMessage(try ParserFixture.error(config, "abc"), contains: "field 'code'", "int", "'abc'")
    }

    @Test func documentsReadTheirOwnHeader() {
        var parser = EventParser(config: csv, name: "app")
        for _ in 0..<2 {
            let (events, errors) = parser.parse(document: "a,b\r\n1,2\r\n3,4\r\n", readTime: ParserFixture.readTime)
            #expect(errors.isEmpty)
            #expect(events.map { $0[field: "b"] } == [.number(2), .number(4)])
        }
    }
}
