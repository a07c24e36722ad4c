import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct TimestampParsingTests {
    /// `text` read as `format`, or the error message.
    static func read(_ text: String, _ format: ParserConfig.TimestampFormat) -> Result<Int64, ParseError> {
        var text = text
        return text.withUTF8 { bytes in
            Result { () throws(ParseError) -> Int64 in try TimestampParser.parse(bytes, 0..<bytes.count, format: format)
            }
        }
    }

    @Test(arguments: [
        ("2026-11-29T12:00:00Z", 1_795_953_600_000_000_000),
        ("2026-11-29t12:00:00z", 1_795_953_600_000_000_000),
        ("2026-11-29 12:00:00Z", 1_795_953_600_000_000_000),
        ("2026-11-29T13:00:00+01:00", 1_795_953_600_000_000_000),
        ("2026-11-29T12:00:00.123456789+01:00", 1_795_950_000_123_456_789),
        ("2026-11-29T12:00:00.5Z", 1_795_953_600_500_000_000),
        ("2026-11-29T12:00:00.1234567891234Z", 1_795_953_600_123_456_789),
        ("2000-03-01T00:00:00-05:30", 951_888_600_000_000_000),
        ("2024-02-29T00:00:00Z", 1_709_164_800_000_000_000),
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59.5Z", -500_000_000),
        ("1900-01-01T00:00:00Z", -2_208_988_800_000_000_000),
    ])
    func rfc3339(text: String, nanoseconds: Int) {
        #expect(Self.read(text, .rfc3339) == .success(Int64(nanoseconds)))
    }

    @Test(arguments: [
        ("2026-13-01T00:00:00Z", "month 13 does not exist"),
        ("2026-02-29T00:00:00Z", "day 29 does not exist"),
        ("2026-04-31T00:00:00Z", "day 31 does not exist"),
        ("2026-11-29T24:00:00Z", "the time of day is out of range"),
        ("2026-11-29T12:60:00Z", "the time of day is out of range"),
        ("2026-11-29T12:00:00", "missing time zone"),
        ("2026-11-29T12:00:00+0100", "expected a time zone offset"),
        ("2026-11-29T12:00:00Zjunk", "unexpected text after the time zone"),
        ("2026-11-29T12:00:00.Z", "expected digits after '.'"),
        ("2026-11-29X12:00:00Z", "expected 'T'"),
        ("2026/11/29T12:00:00Z", "expected the date as YYYY-MM-DD"),
        ("2026-11-29T12:00Z", "expected the time as hh:mm:ss"),
        ("1700000000", "expected the date"),
        ("2300-01-01T00:00:00Z", "outside the range 1677-09-21 to 2262-04-11"),
    ])
    func invalidRFC3339(text: String, reason: String) throws {
        guard case .failure(let error) = Self.read(text, .rfc3339) else {
            Issue.record("\(text) should not parse")
            return
        }
        expectMessage(error, contains: "'\(text)' is not an RFC 3339 time", reason)
    }

    @Test func unixFormats() {
        #expect(Self.read("1700000000", .unix) == .success(1_700_000_000_000_000_000))
        #expect(Self.read(" 1700000000.25 ", .unix) == .success(1_700_000_000_250_000_000))
        #expect(Self.read("1700000000.1234567891", .unix) == .success(1_700_000_000_123_456_789))
        #expect(Self.read("-1.5", .unix) == .success(-1_500_000_000))
        #expect(Self.read("1.7e9", .unix) == .success(1_700_000_000_000_000_000))
        #expect(Self.read("1700000000123", .unixMilliseconds) == .success(1_700_000_000_123_000_000))
        #expect(Self.read("1700000000123.5", .unixMilliseconds) == .success(1_700_000_000_123_500_000))
        #expect(Self.read("1700000000123456", .unixMicroseconds) == .success(1_700_000_000_123_456_000))
        #expect(Self.read("1700000000123456789", .unixNanoseconds) == .success(1_700_000_000_123_456_789))
        #expect(Self.read("1700000000123456789.9", .unixNanoseconds) == .success(1_700_000_000_123_456_789))
    }

    @Test func invalidUnixTimes() {
        let cases: [(String, ParserConfig.TimestampFormat, String)] = [
            ("soon", .unix, "is not a number of seconds"),
            ("", .unixMilliseconds, "is not a number of milliseconds"),
            ("12abc", .unixMicroseconds, "is not a number of microseconds"),
            ("0x10", .unixNanoseconds, "is not a number of nanoseconds"),
            ("10000000000", .unix, "outside the range"),
            ("99999999999999999999", .unixNanoseconds, "outside the range"),
            ("1e300", .unix, "outside the range"),
        ]
        for (text, format, part) in cases {
            guard case .failure(let error) = Self.read(text, format) else {
                Issue.record("'\(text)' should not parse as \(format)")
                continue
            }
            expectMessage(error, contains: part)
        }
    }

    @Test func daysFromCivil() {
        #expect(TimestampParser.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
        #expect(TimestampParser.daysFromCivil(year: 2026, month: 11, day: 29) == 20_786)
        #expect(TimestampParser.daysFromCivil(year: 2000, month: 3, day: 1) == 11_017)
        #expect(TimestampParser.daysFromCivil(year: 1600, month: 1, day: 1) == -135_140)
    }

    @Test func jsonNumbersKeepNanosecondPrecision() throws {
        let config = ParserConfig(kind: .json, timestamp: ParserConfig.Timestamp(field: "t", format: .unixNanoseconds))
        let event = try ParserFixture.event(config, #"{"t":1700000000123456789,"v":1}"#)
        #expect(event == ParserFixture.expected(timestamp: 1_700_000_000_123_456_789, [("v", .number(1))]))
    }

    @Test func timestampProblemsInARecord() throws {
        let config = ParserConfig(kind: .json, timestamp: ParserConfig.Timestamp(field: "t", format: .rfc3339))
        expectMessage(try ParserFixture.error(config, #"{"v":1}"#), contains: "missing timestamp field 't'")
        expectMessage(
            try ParserFixture.error(config, #"{"t":true,"v":1}"#),
            contains: "timestamp field 't'",
            "not a time"
        )
        expectMessage(
            try ParserFixture.error(config, #"{"t":"yesterday","v":1}"#),
            contains: "timestamp field 't'",
            "'yesterday' is not an RFC 3339 time"
        )
        expectMessage(
            try ParserFixture.error(config, #"{"t":"2026-11-29T12:00:00Z","t":"2026-11-29T12:00:00Z","v":1}"#),
            contains: "duplicate timestamp field 't'"
        )
    }
}
