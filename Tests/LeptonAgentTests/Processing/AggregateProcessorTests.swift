import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct AggregateProcessorTests {
    typealias Fixture = ProcessorFixture
    static let second = ProcessorFixture.second

    /// Time `seconds` after the fixture's base (a multiple of 10 s).
    static func at(_ seconds: Double) -> Int64 {
        Fixture.base + Int64(seconds * 1000) * 1_000_000
    }

    /// The events one window of the `temp` series becomes, stats in `stats` order.
    static func window(
        start: Double,
        _ values: [(AggregateConfig.Stat, Double)],
        label: String = "10s",
        name: String = "temp"
    ) -> [Event] {
        values.map { stat, value in
            Event(
                name: name,
                timestamp: at(start),
                tags: ["site": "lyon", "agg": stat.rawValue, "window": label],
                fields: [Event.Field("value", .number(value))]
            )
        }
    }

    static let tenSeconds = AggregateConfig(window: .seconds(10))

    @Test func aLaterValueClosesTheWindowIntoOneEventPerStat() {
        var processor = AggregateProcessor(Self.tenSeconds)
        let points: [(seconds: Double, value: Double)] = [(1, 1), (3, 2), (5, 6), (12, 10)]
        let events = points.map { Fixture.event($0.value, at: Self.at($0.seconds)) }
        let (output, drops) = Fixture.run(&processor, events)
        let expected = Self.window(
            start: 0,
            [(.count, 3), (.min, 1), (.max, 6), (.mean, 3), (.sum, 9), (.last, 6)]
        )
        #expect(output == expected)
        #expect(drops.counts == [ProcessorDrops.Key(stream: "temp", reason: "aggregated"): 4])
    }

    @Test func subsetOfStatsInConfiguredOrder() {
        var processor = AggregateProcessor(AggregateConfig(window: .seconds(10), stats: [.max, .count]))
        let events = [Fixture.event(4, at: Self.at(1)), Fixture.event(-3, at: Self.at(2))]
        var (output, _) = Fixture.run(&processor, events)
        processor.flush(into: &output)
        #expect(output == Self.window(start: 0, [(.max, 4), (.count, 2)]))
    }

    @Test func advanceClosesAWindowGracePastItsEndAndPastTheLastArrival() {
        var processor = AggregateProcessor(Self.tenSeconds)
        var (output, _) = Fixture.run(&processor, [Fixture.event(5, at: Self.at(12))], now: { _ in Self.at(19) })
        processor.advance(to: Self.at(21.999), into: &output)
        #expect(output.isEmpty, "grace (2s) not over after the window's end (20s)")
        processor.advance(to: Self.at(22), into: &output)
        #expect(
            output == Self.window(start: 10, [(.count, 1), (.min, 5), (.max, 5), (.mean, 5), (.sum, 5), (.last, 5)])
        )
        output.removeAll()
        processor.advance(to: Self.at(100), into: &output)
        processor.flush(into: &output)
        #expect(output.isEmpty, "a closed window is not sent again")
    }

    @Test func aFastReplayOfOldValuesWaitsForArrivalsToPause() {
        var processor = AggregateProcessor(AggregateConfig(window: .seconds(10), stats: [.count]))
        let now = Self.at(1000)
        var output: [Event] = []
        var drops = ProcessorDrops()
        processor.process(Fixture.event(1, at: Self.at(1)), now: now, into: &output, drops: &drops)
        processor.advance(to: now + Self.second, into: &output)
        processor.process(Fixture.event(1, at: Self.at(2)), now: now + Self.second, into: &output, drops: &drops)
        processor.advance(to: now + 2 * Self.second, into: &output)
        #expect(output.isEmpty, "the window ended long ago, but values still arrive")
        processor.advance(to: now + 3 * Self.second, into: &output)
        #expect(output == Self.window(start: 0, [(.count, 2)]))
    }

    @Test func aValueForAnEarlierWindowIsLate() {
        var processor = AggregateProcessor(AggregateConfig(window: .seconds(10), stats: [.count]))
        let times: [Double] = [11, 5, 25, 19, 20]
        let (output, drops) = Fixture.run(&processor, times.map { Fixture.event(1, at: Self.at($0)) })
        // 11 opens [10, 20); 5 is late; 25 closes [10, 20) and opens [20, 30); 19 is late; 20 joins [20, 30).
        #expect(output == Self.window(start: 10, [(.count, 1)]))
        #expect(Fixture.count(drops, reason: "late") == 2)
        #expect(Fixture.count(drops, reason: "aggregated") == 3)
    }

    @Test func aValueForAWindowClosedByAdvanceIsLate() {
        var processor = AggregateProcessor(AggregateConfig(window: .seconds(10), stats: [.sum]))
        var (output, drops) = Fixture.run(&processor, [Fixture.event(2, at: Self.at(3))])
        processor.advance(to: Self.at(13), into: &output)
        #expect(output == Self.window(start: 0, [(.sum, 2)]))
        processor.process(Fixture.event(7, at: Self.at(9)), now: Self.at(13), into: &output, drops: &drops)
        processor.process(Fixture.event(7, at: Self.at(10)), now: Self.at(13), into: &output, drops: &drops)
        processor.flush(into: &output)
        #expect(output == Self.window(start: 0, [(.sum, 2)]) + Self.window(start: 10, [(.sum, 7)]))
        #expect(Fixture.count(drops, reason: "late") == 1)
    }

    @Test func flushClosesEveryOpenWindowInTimeThenSeriesOrder() {
        var processor = AggregateProcessor(AggregateConfig(window: .seconds(10), stats: [.last]))
        let events = [
            Fixture.event(1, at: Self.at(15), name: "b"),
            Fixture.event(2, at: Self.at(5), name: "c"),
            Fixture.event(3, at: Self.at(12), name: "a"),
        ]
        var (output, _) = Fixture.run(&processor, events)
        #expect(output.isEmpty)
        processor.flush(into: &output)
        let expected =
            Self.window(start: 0, [(.last, 2)], name: "c") + Self.window(start: 10, [(.last, 3)], name: "a")
            + Self.window(start: 10, [(.last, 1)], name: "b")
        #expect(output == expected)
    }

    @Test func windowsAlignOnMultiplesOfTheWindowAndTheLabelIsAsWritten() {
        var processor = AggregateProcessor(
            AggregateConfig(window: .seconds(60), stats: [.count], windowLabel: "60s")
        )
        // base is 1_700_000_000 s, which is 20 s past a minute.
        let (output, _) = Fixture.run(
            &processor,
            [Fixture.event(1, at: Self.at(0)), Fixture.event(1, at: Self.at(40))],
            flush: true
        )
        #expect(output.map(\.timestamp) == [Self.at(-20), Self.at(40)])
        #expect(output.allSatisfy { $0.tags["window"] == "60s" })
    }

    @Test func windowStartFloorsNegativeTimes() {
        let processor = AggregateProcessor(AggregateConfig(window: .nanoseconds(10)))
        #expect(processor.windowStart(of: 25) == 20)
        #expect(processor.windowStart(of: 20) == 20)
        #expect(processor.windowStart(of: -1) == -10)
        #expect(processor.windowStart(of: -10) == -10)
        #expect(processor.windowStart(of: -11) == -20)
    }

    @Test func textAndUnlistedFieldsPassThrough() {
        var processor = AggregateProcessor(AggregateConfig(window: .seconds(10), stats: [.count], fields: ["a"]))
        let event = Event(
            name: "m",
            timestamp: Self.at(1),
            fields: [Event.Field("a", .number(1)), Event.Field("b", .number(2)), Event.Field("msg", .text("hi"))]
        )
        let (output, drops) = Fixture.run(&processor, [event])
        #expect(output.map(\.fields) == [[Event.Field("b", .number(2)), Event.Field("msg", .text("hi"))]])
        #expect(drops.counts == [ProcessorDrops.Key(stream: "m.a", reason: "aggregated"): 1])
    }
}
