import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct TypeCoercionTests {
    /// The value of `text` in the one-column csv row, guessed or converted by `type`.
    static func value(_ text: String, as type: ParserConfig.FieldType? = nil) throws -> FieldValue? {
        let config = ParserConfig(
            kind: .csv(columns: ["x", "y"], delimiter: ";"),
            types: type.map { ["x": $0] } ?? [:]
        )
        return try ParserFixture.event(config, "\(text);1")[field: "x"]
    }

    @Test(arguments: [
        ("42", FieldValue.number(42)),
        ("-1.5e3", .number(-1500)),
        ("+7", .number(7)),
        (".5", .number(0.5)),
        ("5.", .number(5)),
        ("007", .number(7)),
        (" 12 ", .number(12)),
        ("0.1", .number(0.1)),
        ("123456.789", .number(123_456.789)),
        ("3.141592653589793238462643383279", .number(3.141_592_653_589_793)),
        ("1e-30", .number(1e-30)),
        ("true", .text("true")),
        ("False", .text("False")),
        ("inf", .text("inf")),
        ("nan", .text("nan")),
        ("0x10", .text("0x10")),
        ("1e999", .text("1e999")),
        ("1,5", .text("1,5")),
        ("12 kB", .text("12 kB")),
        ("-", .text("-")),
        ("e5", .text("e5")),
    ])
    func guessedTypes(text: String, expected: FieldValue) throws {
        #expect(try Self.value(text) == expected)
    }

    @Test func emptyValuesAreLeftOut() throws {
        #expect(try Self.value("") == nil)
        #expect(try Self.value("", as: .string) == nil)
    }

    @Test func configuredTypes() throws {
        #expect(try Self.value("42", as: .int) == .number(42))
        #expect(try Self.value("-42", as: .int) == .number(-42))
        #expect(try Self.value("4.5", as: .float) == .number(4.5))
        #expect(try Self.value("4", as: .float) == .number(4))
        #expect(try Self.value("007", as: .string) == .text("007"))
        #expect(try Self.value("1e3", as: .string) == .text("1e3"))
        for word in ["true", "TRUE", "1", "yes", "Yes", "on", "ON"] {
            #expect(try Self.value(word, as: .bool) == .bool(true), "\(word)")
        }
        for word in ["false", "False", "0", "no", "NO", "off", "Off"] {
            #expect(try Self.value(word, as: .bool) == .bool(false), "\(word)")
        }
    }

    @Test func valuesThatCannotBeConverted() throws {
        let cases: [(String, ParserConfig.FieldType)] = [
            ("4.5", .int), ("abc", .int), ("99999999999999999999", .int), ("abc", .float), ("nan", .float),
            ("maybe", .bool), ("2", .bool), ("\u{11}", .bool),
        ]
        for (text, type) in cases {
            let config = ParserConfig(kind: .csv(columns: ["x"], delimiter: ";"), types: ["x": type])
            let error = try ParserFixture.error(config, text)
            expectMessage(error, contains: "field 'x' is not a valid \(type.rawValue)")
        }
    }

    @Test func jsonValuesFollowTheirTypesUnlessConfigured() throws {
        let plain = try ParserFixture.event(ParserConfig(kind: .json), #"{"n":"42","b":"true","z":0}"#)
        #expect(plain.fields.map(\.value) == [.text("42"), .text("true"), .number(0)])

        let typed = ParserConfig(
            kind: .json,
            types: ["n": .int, "b": .bool, "z": .bool, "f": .string, "t": .int, "s": .float]
        )
        let event = try ParserFixture.event(typed, #"{"n":"42","b":"true","z":0,"f":1.50,"t":true,"s":"2.5"}"#)
        #expect(
            event.fields.map(\.value) == [
                .number(42), .bool(true), .bool(false), .text("1.50"), .number(1), .number(2.5),
            ]
        )
        expectMessage(
            try ParserFixture.error(ParserConfig(kind: .json, types: ["n": .int]), #"{"n":1.5}"#),
            contains: "field 'n' is not a valid int: '1.5'"
        )
        expectMessage(
            try ParserFixture.error(ParserConfig(kind: .json, types: ["n": .bool]), #"{"n":2}"#),
            contains: "field 'n' is not a valid bool"
        )
    }

    @Test func tagValuesAreText() throws {
        let config = ParserConfig(kind: .json, tags: ["code", "ratio", "on", "big", "name"])
        let event = try ParserFixture.event(
            config,
            #"{"code":200,"ratio":2.50,"on":true,"big":1e20,"name":"x","empty":"","v":1}"#
        )
        #expect(event.tags == ["code": "200", "ratio": "2.5", "on": "true", "big": "1e+20", "name": "x"])
        #expect(event.fields == [Event.Field("empty", .text("")), Event.Field("v", .number(1))])
    }

    @Test func emptyTagValuesAreLeftOut() throws {
        let config = ParserConfig(kind: .csv(columns: ["host", "v"], delimiter: ","), tags: ["host"])
        let event = try ParserFixture.event(config, ",1")
        #expect(event.tags.isEmpty)
        #expect(event.fields == [Event.Field("v", .number(1))])
    }

    @Test func textAndNumberFormats() throws {
        #expect(
            try ParserFixture.event(.text, " GET / 200") == ParserFixture.expected([("value", .text(" GET / 200"))])
        )
        #expect(try ParserFixture.event(.text, "") == ParserFixture.expected([("value", .text(""))]))
        let number = ParserConfig(format: .number)
        #expect(try ParserFixture.event(number, " 21.5\t") == ParserFixture.expected([("value", .number(21.5))]))
        #expect(try ParserFixture.event(number, "-4e2") == ParserFixture.expected([("value", .number(-400))]))
        expectMessage(try ParserFixture.error(number, "21,5"), contains: "'21,5' is not a number")
        expectMessage(try ParserFixture.error(number, "inf"), contains: "'inf' is not a number")
        expectMessage(try ParserFixture.error(number, "  "), contains: "empty line")
    }

    @Test func decimalNumbersAreCorrectlyRounded() {
        for text in ["0.1", "0.3", "2.675", "1.7976931348623157e308", "4.9e-324", "9007199254740993", "0.000001"] {
            var copy = text
            let parsed = copy.withUTF8 { DecimalNumber.parse($0, 0..<$0.count) }
            #expect(parsed == Double(text), "\(text)")
        }
    }
}
