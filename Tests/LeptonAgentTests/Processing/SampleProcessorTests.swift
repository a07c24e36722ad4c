import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct SampleProcessorTests {
    typealias Fixture = ProcessorFixture

    @Test func keepsTheFirstOfEveryN() {
        var processor = SampleProcessor(SampleConfig(every: 3))
        let events = (1...8).map { Fixture.event(Double($0), at: Int64($0)) }
        let (output, drops) = Fixture.run(&processor, events)
        #expect(Fixture.samples(output).map(\.value) == [1, 4, 7])
        #expect(drops.counts == [ProcessorDrops.Key(stream: "temp", reason: "sampled"): 5])
    }

    @Test func countsEachSeriesSeparately() {
        var processor = SampleProcessor(SampleConfig(every: 2))
        let events = [
            Fixture.event(1, at: 1, name: "a"),
            Fixture.event(2, at: 2, name: "b"),
            Fixture.event(3, at: 3, name: "a"),
            Fixture.event(4, at: 4, name: "b"),
            Fixture.event(5, at: 5, name: "a"),
        ]
        let (output, _) = Fixture.run(&processor, events)
        #expect(Fixture.samples(output).map(\.value) == [1, 2, 5])
    }

    @Test func everyOneKeepsEverything() {
        var processor = SampleProcessor(SampleConfig(every: 1))
        let events = (1...4).map { Fixture.event(Double($0), at: Int64($0)) }
        let (output, drops) = Fixture.run(&processor, events)
        #expect(output == events)
        #expect(drops.total == 0)
    }

    @Test func fieldsOfOneEventAreSampledAsSeparateSeries() {
        var processor = SampleProcessor(SampleConfig(every: 2))
        let event = Event(name: "m", timestamp: 1, fields: [Event.Field("a", .number(1))])
        let both = Event(name: "m", timestamp: 2, fields: [Event.Field("a", .number(2)), Event.Field("b", .number(3))])
        let (output, drops) = Fixture.run(&processor, [event, both])
        #expect(output.map(\.fields) == [[Event.Field("a", .number(1))], [Event.Field("b", .number(3))]])
        #expect(drops.counts == [ProcessorDrops.Key(stream: "m.a", reason: "sampled"): 1])
    }
}
