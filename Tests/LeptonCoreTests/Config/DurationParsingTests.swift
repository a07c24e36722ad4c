import Testing

@testable import LeptonCore

@Suite("Duration(configString:)")
struct DurationParsingTests {
    @Test(
        "accepts a number and a unit",
        arguments: [
            ("250ms", Duration.milliseconds(250)),
            ("1s", Duration.seconds(1)),
            ("1.5s", Duration.milliseconds(1_500)),
            ("2m", Duration.seconds(120)),
            ("1h", Duration.seconds(3_600)),
            ("1.25h", Duration.seconds(4_500)),
            ("500us", Duration.microseconds(500)),
            ("3µs", Duration.microseconds(3)),
            ("100ns", Duration.nanoseconds(100)),
            ("0.001ms", Duration.nanoseconds(1_000)),
            ("0s", Duration.zero),
            (" 10s ", Duration.seconds(10)),
            ("1 s", Duration.seconds(1)),
            ("1.50s", Duration.milliseconds(1_500)),
        ]
    )
    func valid(text: String, expected: Duration) throws {
        #expect(try Duration(configString: text) == expected)
    }

    @Test(
        "rejects garbage",
        arguments: [
            "", "   ", "10", "1.5", "-1s", "- 1s", "1sec", "1S", "abc", "s", ".5s", "1.s", "1..5s", "1e3s", "1s5",
            "+1s", "1.5ns", "99999999999h", "1s 2s",
        ]
    )
    func invalid(text: String) {
        #expect(throws: ConfigValueError.self) { try Duration(configString: text) }
    }

    @Test("explains what is wrong")
    func messages() throws {
        let missingUnit = try #require(throws: ConfigValueError.self) { try Duration(configString: "10") }
        #expect(missingUnit.message.contains("missing unit"))
        #expect(missingUnit.message.contains("1s or 250ms"))
        let negative = try #require(throws: ConfigValueError.self) { try Duration(configString: "-5s") }
        #expect(negative.message.contains("negative"))
        let unknown = try #require(throws: ConfigValueError.self) { try Duration(configString: "5sec") }
        #expect(unknown.message.contains("unknown unit 'sec'"))
        let garbage = try #require(throws: ConfigValueError.self) { try Duration(configString: "soon") }
        #expect(garbage.message.contains("not a duration"))
        let tooLarge = try #require(throws: ConfigValueError.self) { try Duration(configString: "99999999999h") }
        #expect(tooLarge.message.contains("too large"))
    }

    @Test(
        "prints with the largest exact unit",
        arguments: [
            (Duration.milliseconds(250), "250ms"),
            (Duration.seconds(60), "1m"),
            (Duration.seconds(7_200), "2h"),
            (Duration.milliseconds(1_500), "1500ms"),
            (Duration.nanoseconds(7), "7ns"),
            (Duration.microseconds(3), "3us"),
            (Duration.zero, "0s"),
        ]
    )
    func configString(duration: Duration, expected: String) throws {
        #expect(duration.configString == expected)
        #expect(try Duration(configString: expected) == duration)
    }
}
