import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct SwingingDoorProcessorTests {
    typealias Fixture = ProcessorFixture
    typealias Sample = ProcessorFixture.Sample

    static let maxErrors: [Double] = [0.05, 0.5, 2]

    /// The largest amount by which linear interpolation between `sent` misses a sample beyond `maxError`
    /// (0 when every sample is within the bound).
    static func worstExcess(_ samples: [Sample], sent: [Sample], maxError: Double) -> Double {
        var worst = 0.0
        var segment = 0
        for sample in samples {
            while segment + 1 < sent.count, sent[segment + 1].timestamp < sample.timestamp { segment += 1 }
            let start = sent[segment]
            let estimate: Double
            if start.timestamp == sample.timestamp || segment + 1 == sent.count {
                estimate = start.value
            } else {
                let end = sent[segment + 1]
                let fraction = Double(sample.timestamp - start.timestamp) / Double(end.timestamp - start.timestamp)
                estimate = start.value + (end.value - start.value) * fraction
            }
            let excess = abs(estimate - sample.value) - maxError - 1e-9 * max(1, abs(sample.value))
            worst = max(worst, excess)
        }
        return worst
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func interpolatingBetweenSentPointsReproducesEverySampleWithinMaxError(seed: UInt64) {
        for (name, samples) in Fixture.signals(seed: seed, jitter: seed.isMultiple(of: 2)) {
            for maxError in Self.maxErrors {
                var processor = SwingingDoorProcessor(SwingingDoorConfig(maxError: maxError))
                let events = samples.map { Fixture.event($0.value, at: $0.timestamp) }
                let (output, drops) = Fixture.run(&processor, events, flush: true)
                let sent = Fixture.samples(output)
                let label = "\(name), max_error \(maxError)"

                #expect(sent.count == output.count, "\(label): every event carries the one field")
                #expect(zip(sent, sent.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp }, "\(label): in order")
                #expect(sent.first?.timestamp == samples.first?.timestamp, "\(label): the first point is sent")
                #expect(sent.last?.timestamp == samples.last?.timestamp, "\(label): flush sends the held point")
                let original = Dictionary(uniqueKeysWithValues: samples.map { ($0.timestamp, $0.value) })
                #expect(sent.allSatisfy { original[$0.timestamp] == $0.value }, "\(label): points sent as read")
                #expect(Fixture.count(drops, reason: "swinging_door") == samples.count - sent.count, "\(label)")
                #expect(Self.worstExcess(samples, sent: sent, maxError: maxError) <= 0, "\(label)")
            }
        }
    }

    @Test func compressesASmoothSignal() {
        let samples = Fixture.sine(seed: 5, noise: 0)
        var processor = SwingingDoorProcessor(SwingingDoorConfig(maxError: 0.05))
        let events = samples.map { Fixture.event($0.value, at: $0.timestamp) }
        let (output, _) = Fixture.run(&processor, events, flush: true)
        #expect(output.count < samples.count / 5, "\(output.count) of \(samples.count) sent")
    }

    @Test func aLineNeedsOnlyItsEndsAndMaxSilence() {
        var processor = SwingingDoorProcessor(SwingingDoorConfig(maxError: 0.01, maxSilence: .seconds(100)))
        let events = (0..<250).map { Fixture.event(Double($0) * 0.5, at: Fixture.base + Int64($0) * Fixture.second) }
        let (output, drops) = Fixture.run(&processor, events, flush: true)
        // 0 first; at 100 s the held point (99) is archived and the door restarts; again at 199; 249 at flush.
        #expect(output.map { ($0.timestamp - Fixture.base) / Fixture.second } == [0, 99, 198, 249])
        #expect(Fixture.count(drops, reason: "swinging_door") == 246)
    }

    @Test func keepsThePointAClassicDoorWouldSkip() {
        // Classic swinging door holds (2, 2.5): its door [0.75, 1] is still open, but the segment from (0, 0)
        // to (2, 2.5) misses (1, 0) by 1.25 > 1.
        var processor = SwingingDoorProcessor(SwingingDoorConfig(maxError: 1))
        let second = Fixture.second
        let points: [(seconds: Int64, value: Double)] = [(0, 0), (1, 0), (2, 2.5)]
        let events = points.map { Fixture.event($0.value, at: Fixture.base + $0.seconds * second) }
        let (output, _) = Fixture.run(&processor, events, flush: true)
        #expect(Fixture.samples(output).map(\.value) == [0, 0, 2.5])
    }

    @Test func anEarlierPointIsSentAsItsOwnEventWithTheSeriesNameAndTags() {
        var processor = SwingingDoorProcessor(SwingingDoorConfig(maxError: 0.1))
        let second = Fixture.second
        let tags: Tags = ["site": "lyon", "room": "b12"]
        func event(_ value: Double, _ time: Int64) -> Event {
            Event(
                name: "hall",
                timestamp: Fixture.base + time * second,
                tags: tags,
                fields: [Event.Field("temp", .number(value)), Event.Field("note", .text("ok"))]
            )
        }
        var output: [Event] = []
        var drops = ProcessorDrops()
        processor.process(event(1, 0), now: 0, into: &output, drops: &drops)
        #expect(output == [event(1, 0)], "the first point passes in its event")
        output.removeAll()

        processor.process(event(1, 1), now: 0, into: &output, drops: &drops)
        #expect(output.map(\.fields) == [[Event.Field("note", .text("ok"))]], "the new point is held")
        output.removeAll()

        processor.process(event(5, 2), now: 0, into: &output, drops: &drops)
        let held = Event(
            name: "hall",
            timestamp: Fixture.base + second,
            tags: tags,
            fields: [Event.Field("temp", .number(1))]
        )
        #expect(output.first == held, "the held point goes first, with its own time")
        #expect(output.dropFirst().map(\.fields) == [[Event.Field("note", .text("ok"))]])
        #expect(drops.total == 0, "no point lost yet")
    }

    @Test func aTimestampNotAfterThePreviousOneRestartsTheDoor() {
        var processor = SwingingDoorProcessor(SwingingDoorConfig(maxError: 1))
        let second = Fixture.second
        let points: [(seconds: Int64, value: Double)] = [(0, 0), (1, 0.1), (1, 7), (2, 7.1)]
        let events = points.map { Fixture.event($0.value, at: Fixture.base + $0.seconds * second) }
        let (output, drops) = Fixture.run(&processor, events, flush: true)
        // (1, 0.1) is held; (1, 7) is not after it: the held point is sent, then (1, 7) itself; (2, 7.1) at flush.
        #expect(Fixture.samples(output).map(\.value) == [0, 0.1, 7, 7.1])
        #expect(drops.total == 0)
    }

    @Test func flushSendsHeldPointsOfEverySeriesInTimeOrder() {
        var processor = SwingingDoorProcessor(SwingingDoorConfig(maxError: 1))
        let second = Fixture.second
        let events = [
            Fixture.event(1, at: Fixture.base, name: "b"),
            Fixture.event(1, at: Fixture.base, name: "a"),
            Fixture.event(1, at: Fixture.base + 2 * second, name: "b"),
            Fixture.event(1, at: Fixture.base + 1 * second, name: "a"),
        ]
        let (output, _) = Fixture.run(&processor, events)
        #expect(output.map(\.name) == ["b", "a"])
        var flushed: [Event] = []
        processor.flush(into: &flushed)
        #expect(flushed.map(\.name) == ["a", "b"])
        #expect(flushed.map(\.timestamp) == [Fixture.base + second, Fixture.base + 2 * second])
        var again: [Event] = []
        processor.flush(into: &again)
        #expect(again.isEmpty, "a flushed point is not sent twice")
    }

    @Test func textAndUnlistedFieldsPass() {
        var processor = SwingingDoorProcessor(SwingingDoorConfig(maxError: 100, fields: ["a"]))
        let events = (0..<5).map { index in
            Event(
                name: "m",
                timestamp: Int64(index),
                fields: [Event.Field("a", .number(1)), Event.Field("b", .number(1)), Event.Field("t", .text("x"))]
            )
        }
        let (output, _) = Fixture.run(&processor, events)
        #expect(output.count == 5)
        #expect(output.dropFirst().allSatisfy { $0.fields.map(\.name) == ["b", "t"] })
    }
}
