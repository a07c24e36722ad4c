import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct InfluxParserTests {
    let influx = ParserConfig(format: .influx)

    @Test func measurementTagsFieldsAndTimestamp() throws {
        let event = try ParserFixture.event(
            influx,
            "weather,location=us-midwest,season=summer temperature=82,humidity=71i 1465839830100400200"
        )
        #expect(
            event
                == Event(
                    name: "weather",
                    timestamp: 1_465_839_830_100_400_200,
                    tags: ["location": "us-midwest", "season": "summer"],
                    fields: [Event.Field("temperature", .number(82)), Event.Field("humidity", .number(71))]
                )
        )
    }

    @Test func withoutTimestampTheReadTimeIsUsed() throws {
        let event = try ParserFixture.event(influx, "cpu value=0.5")
        #expect(event == ParserFixture.expected(name: "cpu", [("value", .number(0.5))]))
        #expect(event.streamName(of: "value") == "cpu")
    }

    @Test func fieldValueTypes() throws {
        let line =
            #"m i=42i,n=-9223372036854775808i,u=18446744073709551615u,f=1.5,e=-1.234456e+78,one=1,"#
            + #"t1=t,t2=T,t3=true,t4=True,t5=TRUE,f1=f,f2=F,f3=false,f4=False,f5=FALSE,s="",d=.5"#
        let event = try ParserFixture.event(influx, line)
        #expect(
            event.fields.map(\.value) == [
                .number(42), .number(-9.223_372_036_854_775_808e18), .number(1.844_674_407_370_955_2e19),
                .number(1.5), .number(-1.234456e+78), .number(1),
                .bool(true), .bool(true), .bool(true), .bool(true), .bool(true),
                .bool(false), .bool(false), .bool(false), .bool(false), .bool(false),
                .text(""), .number(0.5),
            ]
        )
    }

    // The examples of the specification's "Special characters" section.
    @Test func specExamples() throws {
        let spaces = try ParserFixture.event(influx, #"my\ Measurement fieldKey="string value""#)
        #expect(spaces == ParserFixture.expected(name: "my Measurement", [("fieldKey", .text("string value"))]))

        let quotes = try ParserFixture.event(influx, #"myMeasurement fieldKey="\"string\" within a string""#)
        #expect(quotes[field: "fieldKey"] == .text(#""string" within a string"#))

        let tags = try ParserFixture.event(
            influx,
            #"myMeasurement,tag\ Key1=tag\ Value1,tag\ Key2=tag\ Value2 fieldKey=100"#
        )
        #expect(tags.tags == ["tag Key1": "tag Value1", "tag Key2": "tag Value2"])
        #expect(tags.fields == [Event.Field("fieldKey", .number(100))])

        let emoji = try ParserFixture.event(influx, #"myMeasurement,tagKey=🍭 fieldKey="Launch 🚀" 1556813561098000000"#)
        #expect(
            emoji
                == Event(
                    name: "myMeasurement",
                    timestamp: 1_556_813_561_098_000_000,
                    tags: ["tagKey": "🍭"],
                    fields: [Event.Field("fieldKey", .text("Launch 🚀"))]
                )
        )
    }

    @Test func escapedCommasAndEquals() throws {
        let event = try ParserFixture.event(influx, #"cpu\,01,a\=b=c\=d\,e f\=1\,x\ y=2,g="a,b=c d""#)
        #expect(event.name == "cpu,01")
        #expect(event.tags == ["a=b": "c=d,e"])
        #expect(event.fields == [Event.Field("f=1,x y", .number(2)), Event.Field("g", .text("a,b=c d"))])
    }

    // "Escaping backslashes": \ is \, \\ is \, \\\ is \\, \\\\ is \\; a backslash before another character stays.
    @Test func backslashes() throws {
        let event = try ParserFixture.event(influx, #"a\b,t=x\\y f\\\==1,s="C:\\dir\\file \d",q="\\\"""#)
        #expect(event.name == #"a\b"#)
        #expect(event.tags == ["t": #"x\y"#])
        #expect(
            event.fields == [
                Event.Field(#"f\="#, .number(1)), Event.Field("s", .text(#"C:\dir\file \d"#)),
                Event.Field("q", .text(#"\""#)),
            ]
        )
        let measurement = try ParserFixture.event(influx, #"m\\\\n\\\ x v=1"#)
        #expect(measurement.name == #"m\\n\ x"#)
    }

    @Test func precision() throws {
        let milliseconds = ParserConfig(kind: .influx(precision: .ms))
        #expect(try ParserFixture.event(milliseconds, "m v=1 1700000000123").timestamp == 1_700_000_000_123_000_000)
        let seconds = ParserConfig(kind: .influx(precision: .s))
        #expect(try ParserFixture.event(seconds, "m v=1 -5").timestamp == -5_000_000_000)
        let microseconds = ParserConfig(kind: .influx(precision: .us))
        #expect(try ParserFixture.event(microseconds, "m v=1 7").timestamp == 7_000)
        #expect(try ParserFixture.event(influx, "m v=1 7  ").timestamp == 7)
        expectMessage(try ParserFixture.error(seconds, "m v=1 9300000000000000000"), contains: "invalid timestamp")
        expectMessage(try ParserFixture.error(seconds, "m v=1 9300000000"), contains: "timestamp is outside the range")
    }

    @Test func commentsAndBlankLinesAreSkipped() throws {
        #expect(try ParserFixture.events(influx, ["# a comment", "   # indented", "", "  "]) == [nil, nil, nil, nil])
    }

    @Test(arguments: [
        ("m", ["missing fields", "column 2"]),
        ("m ", ["missing fields", "column 3"]),
        ("m temp", ["expected '=' after field key 'temp' at column 7", "found the end of the line"]),
        ("m temp,x=1", ["expected '=' after field key 'temp' at column 7", "found ','"]),
        ("m,t f=1", ["expected '=' after tag key 't' at column 4", "found a space"]),
        ("m,t= f=1", ["missing value for tag 't'", "column 5"]),
        ("m,=x f=1", ["missing tag key", "column 3"]),
        ("m,t=a=b f=1", ["unescaped '=' in the value of tag 't'", "column 6"]),
        ("m,t=1,t=2 f=1", ["duplicate tag 't'"]),
        (",t=1 f=1", ["missing measurement name", "column 1"]),
        ("m =1", ["missing field key", "column 3"]),
        ("m f=", ["missing value for field 'f'", "column 5"]),
        ("m f=1,", ["missing field key", "column 7"]),
        ("m f=abc", ["invalid value 'abc' for field 'f'", "column 5"]),
        ("m f=1.5i", ["invalid integer '1.5i' for field 'f'"]),
        ("m f=9223372036854775808i", ["invalid integer"]),
        ("m f=-1u", ["invalid unsigned integer '-1u'"]),
        ("m f=1e999", ["invalid value '1e999'"]),
        ("m f=nan", ["invalid value 'nan'"]),
        (#"m f="abc"#, ["unterminated string value of field 'f'", "column 5"]),
        (#"m f="a"x"#, ["expected ',' or a space after the value of field 'f'", "column 8"]),
        ("m f=1,f=2", ["duplicate field 'f'"]),
        ("m f=1 12x", ["invalid timestamp '12x'"]),
        ("m f=1 1 2", ["unexpected text after the timestamp", "column 9"]),
    ])
    func malformedLines(line: String, parts: [String]) throws {
        let error = try ParserFixture.error(influx, line)
        for part in parts {
            #expect(error.message.contains(part), "\(error.message)")
        }
    }

    @Test func documentsAreReadLineByLine() {
        let (events, errors) = ParserFixture.document(influx, "# header\ncpu v=1\n\nmem v=2\nbad\n")
        #expect(events.map(\.name) == ["cpu", "mem"])
        #expect(errors.count == 1)
    }
}
