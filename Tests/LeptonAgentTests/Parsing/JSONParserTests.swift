import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct JSONParserTests {
    let json = ParserConfig(kind: .json)

    @Test func flatObjectKeepsOrderAndTypesAndOmitsNull() throws {
        let event = try ParserFixture.event(
            json,
            #"{"temp": 21.5, "ok": true, "off": false, "room": "kitchen", "gone": null, "count": 3}"#
        )
        #expect(
            event
                == ParserFixture.expected([
                    ("temp", .number(21.5)), ("ok", .bool(true)), ("off", .bool(false)), ("room", .text("kitchen")),
                    ("count", .number(3)),
                ])
        )
    }

    @Test func nestedObjectsAreFlattenedWithDots() throws {
        let event = try ParserFixture.event(json, #"{"a":{"b":1,"c":{"d":"x"}},"e":2,"f":{}}"#)
        #expect(event == ParserFixture.expected([("a.b", .number(1)), ("a.c.d", .text("x")), ("e", .number(2))]))
    }

    @Test func arraysAreFlattenedWithTheIndex() throws {
        let event = try ParserFixture.event(json, #"{"v":[1,"two",{"w":3},[true]],"empty":[]}"#)
        #expect(
            event
                == ParserFixture.expected([
                    ("v.0", .number(1)), ("v.1", .text("two")), ("v.2.w", .number(3)), ("v.3.0", .bool(true)),
                ])
        )
    }

    @Test func stringEscapes() throws {
        let event = try ParserFixture.event(json, #"{"s":"a\"b\\c\/d\b\f\n\r\t\u00e9\u20AC\ud83d\ude00", "k\u0041":1}"#)
        #expect(event[field: "s"] == .text("a\"b\\c/d\u{8}\u{C}\n\r\t\u{E9}\u{20AC}\u{1F600}"))
        #expect(event[field: "kA"] == .number(1))
    }

    @Test func nonASCIITextPassesThrough() throws {
        let event = try ParserFixture.event(json, #"{"ville":"Besançon","emoji":"🚀"}"#)
        #expect(event[field: "ville"] == .text("Besançon"))
        #expect(event[field: "emoji"] == .text("🚀"))
    }

    @Test func numbers() throws {
        let event = try ParserFixture.event(
            json,
            #"{"a":-0.5,"b":1e3,"c":1.5E-2,"d":0,"e":12345678901234567890,"f":0.1,"g":-12.25e+2,"h":123456.789}"#
        )
        #expect(
            event.fields.map(\.value) == [
                .number(-0.5), .number(1000), .number(0.015), .number(0), .number(1.234_567_890_123_456_789_0e19),
                .number(0.1), .number(-1225), .number(123_456.789),
            ]
        )
    }

    @Test func blankLinesAreSkipped() throws {
        #expect(try ParserFixture.events(json, ["", "   ", "\t"]) == [nil, nil, nil])
    }

    @Test func whitespaceAroundTokensIsAllowed() throws {
        let event = try ParserFixture.event(json, " { \"a\" : [ 1 , 2 ] , \"b\" : { } } ")
        #expect(event == ParserFixture.expected([("a.0", .number(1)), ("a.1", .number(2))]))
    }

    @Test func timestampTagsAndTypes() throws {
        let config = ParserConfig(
            kind: .json,
            timestamp: ParserConfig.Timestamp(field: "ts", format: .rfc3339),
            tags: ["host", "level", "http.code"],
            types: ["id": .string, "n": .int]
        )
        let event = try ParserFixture.event(
            config,
            #"{"ts":"2026-11-29T12:00:00Z","host":"edge-1","level":3,"http":{"code":200},"id":7,"n":"12","msg":"ok"}"#
        )
        let tags: Tags = ["host": "edge-1", "level": "3", "http.code": "200"]
        #expect(
            event
                == ParserFixture.expected(
                    timestamp: 1_795_953_600_000_000_000,
                    tags: tags,
                    [("id", .text("7")), ("n", .number(12)), ("msg", .text("ok"))]
                )
        )
    }

    @Test(arguments: [
        (#"[1,2]"#, ["expected a JSON object", "column 1", "found '['"]),
        (#"{"a":1} x"#, ["unexpected text after the JSON object", "column 9", "found 'x'"]),
        (#"{"a":1}{"b":2}"#, ["unexpected text after the JSON object", "column 8"]),
        (#"{"a":"abc"#, ["unterminated string", "column 6"]),
        (#"{"a":"x\qy"}"#, ["invalid escape", "'q'", "column 8"]),
        (#"{"a":"\u12G4"}"#, ["invalid \\u escape", "4 hex digits"]),
        (#"{"a":"\ud83d"}"#, ["unpaired surrogate", "\\uD83D"]),
        (#"{"a":"\ud83dx"}"#, ["unpaired surrogate"]),
        (#"{"a":"\ud83d\u0041"}"#, ["not a low surrogate"]),
        (#"{"a":"\ude00"}"#, ["unpaired low surrogate", "\\uDE00"]),
        (#"{"a":01}"#, ["leading zeros", "column 6"]),
        (#"{"a":1.}"#, ["expected a digit after '.'"]),
        (#"{"a":1e}"#, ["expected a digit in the exponent"]),
        (#"{"a":-}"#, ["invalid number"]),
        (#"{"a":1e999}"#, ["number out of range"]),
        (#"{"a":1,}"#, ["expected a key in double quotes", "found '}'"]),
        (#"{"a" 1}"#, ["expected ':' after the key 'a'", "column 6"]),
        (#"{"a":tru}"#, ["invalid literal"]),
        (#"{"a":nul}"#, ["invalid literal"]),
        (#"{a:1}"#, ["expected a key in double quotes", "column 2"]),
        (#"{"a":1"#, ["expected ',' or '}' after the value of 'a'", "the end of the line"]),
        (#"{"a":[1 2]}"#, ["expected ',' or ']' after the value of 'a.0'"]),
        (#"{"a":}"#, ["expected a value", "'a'"]),
        (#"{"a":'x'}"#, ["expected a value"]),
        ("{\"a\":\"x\ty\"}", ["control character", "column 8"]),
    ])
    func malformedInputIsRejected(line: String, parts: [String]) throws {
        let error = try ParserFixture.error(json, line)
        for part in parts {
            #expect(error.message.contains(part), "\(error.message)")
        }
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let error = try ParserFixture.error(json, #"{"é":"ü"} x"#)
        expectMessage(error, contains: "column 11")
    }

    @Test func depthLimit() throws {
        let allowed = String(repeating: #"{"a":"#, count: 31) + #"{"b":1}"# + String(repeating: "}", count: 31)
        let event = try ParserFixture.event(json, allowed)
        #expect(event.fields.first?.name == Array(repeating: "a", count: 31).joined(separator: ".") + ".b")

        let tooDeep = String(repeating: #"{"a":"#, count: 32) + #"{"b":1}"# + String(repeating: "}", count: 32)
        expectMessage(try ParserFixture.error(json, tooDeep), contains: "nested deeper than 32 levels")

        let deepArrays = #"{"a":"# + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}"
        expectMessage(try ParserFixture.error(json, deepArrays), contains: "nested deeper than 32 levels")
    }

    @Test func semanticProblems() throws {
        expectMessage(try ParserFixture.error(json, #"{"a":1,"a":2}"#), contains: "duplicate field 'a'")
        expectMessage(try ParserFixture.error(json, #"{"a":{"b":1},"a.b":2}"#), contains: "duplicate field 'a.b'")
        expectMessage(try ParserFixture.error(json, #"{}"#), contains: "no field values")
        expectMessage(try ParserFixture.error(json, #"{"a":null}"#), contains: "no field values")
        expectMessage(try ParserFixture.error(json, #"{"":1}"#), contains: "empty key", "column 2")
    }

    @Test func documentWithOnePrettyPrintedObject() {
        let output = """
            {
               "coretemp-isa-0000":{
                  "Adapter": "ISA adapter",
                  "Package id 0":{
                     "temp1_input": 45.000,
                     "temp1_max": 100.000
                  }
               }
            }

            """
        let (events, errors) = ParserFixture.document(json, output)
        #expect(errors.isEmpty)
        #expect(
            events == [
                ParserFixture.expected([
                    ("coretemp-isa-0000.Adapter", .text("ISA adapter")),
                    ("coretemp-isa-0000.Package id 0.temp1_input", .number(45)),
                    ("coretemp-isa-0000.Package id 0.temp1_max", .number(100)),
                ])
            ]
        )
    }

    @Test func documentWithAnArrayOfObjects() {
        let (events, errors) = ParserFixture.document(json, "[\n {\"a\": 1},\n {\"a\": 2}\n]\n")
        #expect(errors.isEmpty)
        #expect(events == [ParserFixture.expected([("a", .number(1))]), ParserFixture.expected([("a", .number(2))])])
    }

    @Test func documentKeepsGoodItemsAndReportsBadOnes() {
        let (events, errors) = ParserFixture.document(json, #"[{"a":1}, 5, {}, {"a":3}]"#)
        #expect(events.map { $0[field: "a"] } == [.number(1), .number(3)])
        #expect(errors.count == 2)
        #expect(errors.first?.message.contains("expected an object in the array") == true)
        #expect(errors.last?.message.contains("no field values") == true)
    }

    @Test func documentOfJSONLines() {
        let (events, errors) = ParserFixture.document(json, "{\"a\":1}\n{\"a\":2}\n\n")
        #expect(errors.isEmpty)
        #expect(events.count == 2)
    }

    @Test func documentStopsAtASyntaxErrorAndKeepsWhatCameBefore() {
        let (events, errors) = ParserFixture.document(json, #"[{"a":1}, {"a":2"#)
        #expect(events == [ParserFixture.expected([("a", .number(1))])])
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("expected ',' or '}'") == true)
    }

    @Test func emptyDocumentAndScalarDocument() {
        #expect(ParserFixture.document(json, "  \n").events.isEmpty)
        #expect(ParserFixture.document(json, "  \n").errors.isEmpty)
        let (events, errors) = ParserFixture.document(json, "42")
        #expect(events.isEmpty)
        #expect(errors.first?.message.contains("expected a JSON object or an array of objects") == true)
    }
}
