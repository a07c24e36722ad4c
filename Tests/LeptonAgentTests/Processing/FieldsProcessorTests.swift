import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct FieldsProcessorTests {
    static func event(_ fields: [(String, FieldValue)], tags: Tags = [:]) -> Event {
        Event(name: "m", timestamp: 7, tags: tags, fields: fields.map { Event.Field($0.0, $0.1) })
    }

    static func run(_ config: FieldsConfig, _ event: Event, hostname: String = "edge-7") -> ([Event], ProcessorDrops) {
        var processor = FieldsProcessor(config, hostname: hostname)
        return ProcessorFixture.run(&processor, [event])
    }

    static func dropped(_ streams: String...) -> [ProcessorDrops.Key: Int] {
        var counts: [ProcessorDrops.Key: Int] = [:]
        for stream in streams {
            counts[ProcessorDrops.Key(stream: stream, reason: "field_dropped"), default: 0] += 1
        }
        return counts
    }

    static let abc = event([("a", .number(1)), ("b", .number(2)), ("c", .text("x"))])

    @Test func dropRemovesTheListedFields() {
        let (output, drops) = Self.run(FieldsConfig(drop: ["b", "nope"]), Self.abc)
        #expect(output == [Self.event([("a", .number(1)), ("c", .text("x"))])])
        #expect(drops.counts == Self.dropped("m.b"))
    }

    @Test func keepRemovesEveryOtherField() {
        let (output, drops) = Self.run(FieldsConfig(keep: ["a", "nope"]), Self.abc)
        #expect(output == [Self.event([("a", .number(1))])])
        #expect(drops.counts == Self.dropped("m.b", "m.c"))
    }

    @Test func anEventLeftWithoutFieldsIsNotPassedOn() {
        let (output, drops) = Self.run(FieldsConfig(drop: ["a", "b", "c"]), Self.abc)
        #expect(output.isEmpty)
        #expect(drops.total == 3)
    }

    @Test func renameKeepsTheFieldOrder() {
        let config = FieldsConfig(rename: [FieldsConfig.Rename(from: "a", to: "x")])
        let (output, drops) = Self.run(config, Self.abc)
        #expect(output == [Self.event([("x", .number(1)), ("b", .number(2)), ("c", .text("x"))])])
        #expect(drops.total == 0)
    }

    @Test func aRenamedFieldReplacesTheFieldThatHadItsName() {
        let config = FieldsConfig(rename: [FieldsConfig.Rename(from: "a", to: "b")])
        let (output, drops) = Self.run(config, Self.abc)
        #expect(output == [Self.event([("b", .number(1)), ("c", .text("x"))])])
        #expect(drops.counts == Self.dropped("m.b"))
    }

    @Test func renamesCanSwapNames() {
        let config = FieldsConfig(rename: [
            FieldsConfig.Rename(from: "a", to: "b"), FieldsConfig.Rename(from: "b", to: "a"),
        ])
        let (output, drops) = Self.run(config, Self.abc)
        #expect(output == [Self.event([("b", .number(1)), ("a", .number(2)), ("c", .text("x"))])])
        #expect(drops.total == 0)
    }

    @Test func dropUsesNamesBeforeRenameAndScaleNamesAfter() {
        let config = FieldsConfig(
            rename: [FieldsConfig.Rename(from: "a", to: "x"), FieldsConfig.Rename(from: "b", to: "y")],
            drop: ["a"],
            scale: ["y": 10, "b": 1000]
        )
        let (output, drops) = Self.run(config, Self.abc)
        #expect(output == [Self.event([("y", .number(20)), ("c", .text("x"))])])
        #expect(drops.counts == Self.dropped("m.a"))
    }

    @Test func scaleThenOffsetThenConvert() throws {
        let config = FieldsConfig(scale: ["a": 2], offset: ["a": 1, "b": -2], convert: ["a": .celsiusToFahrenheit])
        let (output, _) = Self.run(config, Self.event([("a", .number(10)), ("b", .number(2)), ("c", .text("7"))]))
        let event = try #require(output.first)
        let a = try #require(event[field: "a"]?.number)
        #expect(abs(a - 69.8) < 1e-9, "(10 × 2 + 1) °C = 69.8 °F")
        #expect(event[field: "b"] == .number(0))
        #expect(event[field: "c"] == .text("7"), "text is left alone")
    }

    @Test func booleansScaleAsNumbers() {
        let (output, _) = Self.run(FieldsConfig(scale: ["on": 5]), Self.event([("on", .bool(true))]))
        #expect(output.first?[field: "on"] == .number(5))
    }

    @Test func conversions() {
        let cases: [(conversion: FieldsConfig.Conversion, input: Double, expected: Double)] = [
            (.celsiusToFahrenheit, 100, 212),
            (.fahrenheitToCelsius, 212, 100),
            (.fahrenheitToCelsius, -40, -40),
            (.kelvinToCelsius, 273.15, 0),
            (.celsiusToKelvin, 0, 273.15),
            (.milli, 1500, 1.5),
            (.micro, 2_500_000, 2.5),
            (.kilo, 1.5, 1500),
            (.bytesToKiB, 2048, 2),
            (.bytesToMiB, 3_145_728, 3),
        ]
        #expect(Set(cases.map(\.conversion)) == Set(FieldsConfig.Conversion.allCases), "every conversion tested")
        for (conversion, input, expected) in cases {
            let (output, _) = Self.run(FieldsConfig(convert: ["v": conversion]), Self.event([("v", .number(input))]))
            let converted = output.first?[field: "v"]?.number ?? .nan
            #expect(abs(converted - expected) < 1e-9, "\(conversion): \(input) → \(converted)")
        }
    }

    @Test func toTagMovesAFieldIntoTheTagsWithoutCountingADrop() {
        let config = FieldsConfig(toTag: ["host", "rack", "nope"])
        let input = Self.event([("host", .text("edge-1")), ("v", .number(1)), ("rack", .number(12))])
        let (output, drops) = Self.run(config, input)
        #expect(output == [Self.event([("v", .number(1))], tags: ["host": "edge-1", "rack": "12"])])
        #expect(drops.total == 0)

        let (alone, aloneDrops) = Self.run(FieldsConfig(toTag: ["host"]), Self.event([("host", .text("h"))]))
        #expect(alone.isEmpty, "nothing left to send")
        #expect(aloneDrops.total == 0)
    }

    @Test func staticTagsReplaceTheHostnamePlaceholderAndOverrideTags() {
        let config = FieldsConfig(tags: ["site": "lyon", "host": "${hostname}", "label": "n-${hostname}-x"])
        let input = Self.event([("v", .number(1))], tags: ["site": "nice", "room": "b"])
        let (output, _) = Self.run(config, input, hostname: "edge-7")
        #expect(output.first?.tags == ["site": "lyon", "host": "edge-7", "label": "n-edge-7-x", "room": "b"])
    }

    @Test func toTagComesAfterConversionAndStaticTagsLast() {
        let config = FieldsConfig(
            rename: [FieldsConfig.Rename(from: "raw", to: "level")],
            scale: ["level": 10],
            toTag: ["level"],
            tags: ["level": "fixed"]
        )
        let (output, _) = Self.run(config, Self.event([("raw", .number(2)), ("v", .number(1))]))
        #expect(output.first?.tags["level"] == "fixed")
        let (withoutStatic, _) = Self.run(
            FieldsConfig(rename: config.rename, scale: config.scale, toTag: config.toTag),
            Self.event([("raw", .number(2)), ("v", .number(1))])
        )
        #expect(withoutStatic.first?.tags["level"] == "20")
    }
}
