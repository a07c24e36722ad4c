import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct DedupeProcessorTests {
    typealias Fixture = ProcessorFixture

    static func event(_ value: FieldValue, at seconds: Int64) -> Event {
        Event(name: "door", timestamp: seconds * Fixture.second, fields: [Event.Field("state", value)])
    }

    @Test func dropsAValueEqualToThePreviousOne() {
        var processor = DedupeProcessor(DedupeConfig())
        let values: [Double] = [1, 1, 2, 2, 2, 1, 1]
        let events = values.enumerated().map { index, value in Self.event(.number(value), at: Int64(index)) }
        let (output, drops) = Fixture.run(&processor, events)
        #expect(output.map { $0[field: "state"] } == [.number(1), .number(2), .number(1)])
        #expect(drops.counts == [ProcessorDrops.Key(stream: "door.state", reason: "unchanged"): 4])
    }

    @Test func comparesTextAndBooleans() {
        var processor = DedupeProcessor(DedupeConfig())
        let values: [FieldValue] = [.text("open"), .text("open"), .text("shut"), .bool(true), .bool(true), .number(1)]
        let events = values.enumerated().map { index, value in Self.event(value, at: Int64(index)) }
        let (output, _) = Fixture.run(&processor, events)
        #expect(output.map { $0[field: "state"] } == [.text("open"), .text("shut"), .bool(true), .number(1)])
    }

    @Test func maxSilencePassesAnUnchangedValueByEventTime() {
        var processor = DedupeProcessor(DedupeConfig(maxSilence: .seconds(10)))
        let times: [Int64] = [0, 5, 10, 15, 19, 20, 21]
        let (output, drops) = Fixture.run(&processor, times.map { Self.event(.text("open"), at: $0) })
        #expect(output.map { $0.timestamp / Fixture.second } == [0, 10, 20])
        #expect(drops.total == 4)
    }

    @Test func seriesAreSeparate() {
        var processor = DedupeProcessor(DedupeConfig())
        let events = [
            Fixture.event(1, at: 1, tags: ["door": "a"]),
            Fixture.event(1, at: 2, tags: ["door": "b"]),
            Fixture.event(1, at: 3, tags: ["door": "a"]),
        ]
        let (output, _) = Fixture.run(&processor, events)
        #expect(output.count == 2)
    }
}
