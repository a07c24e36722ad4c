import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct DeadbandProcessorTests {
    typealias Fixture = ProcessorFixture

    /// The band configurations the property test runs.
    static let bands: [DeadbandConfig] = [
        DeadbandConfig(absolute: 0.1),
        DeadbandConfig(absolute: 0.5),
        DeadbandConfig(absolute: 2),
        DeadbandConfig(relative: 0.01),
        DeadbandConfig(relative: 0.05),
        DeadbandConfig(absolute: 1, relative: 0.02),
    ]

    /// The half-width of the band around `held` for `config`.
    static func bound(_ config: DeadbandConfig, around held: Double) -> Double {
        var bound = config.absolute ?? .infinity
        if let relative = config.relative { bound = min(bound, relative * abs(held)) }
        return bound
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func holdingTheLastValueSentReproducesEveryValueWithinTheBand(seed: UInt64) {
        for (name, samples) in Fixture.signals(seed: seed, jitter: seed == 3) {
            for config in Self.bands {
                var processor = DeadbandProcessor(config)
                let events = samples.map { Fixture.event($0.value, at: $0.timestamp) }
                let (output, drops) = Fixture.run(&processor, events)
                let sent = Fixture.samples(output)
                #expect(sent.first?.timestamp == samples.first?.timestamp, "the first value passes")
                #expect(Fixture.count(drops, reason: "deadband") == samples.count - sent.count)
                #expect(drops.total == samples.count - sent.count)

                var next = 0
                var held = Double.nan
                var worst = 0.0
                for sample in samples {
                    if next < sent.count, sent[next].timestamp == sample.timestamp {
                        held = sent[next].value
                        #expect(held == sample.value, "a value passes unchanged")
                        next += 1
                    }
                    let error = abs(sample.value - held)
                    if !(error <= Self.bound(config, around: held) + 1e-9) {
                        worst = max(worst, error)
                    }
                }
                #expect(next == sent.count, "\(name): output in input order")
                #expect(worst == 0, "\(name), \(config): a value was \(worst) from the value held")
            }
        }
    }

    @Test func reducesASmoothSignal() {
        let samples = Fixture.sine(seed: 7, noise: 0)
        var processor = DeadbandProcessor(DeadbandConfig(absolute: 1))
        let (output, _) = Fixture.run(&processor, samples.map { Fixture.event($0.value, at: $0.timestamp) })
        // The sine travels about 270 over 2000 samples: roughly one value sent per unit of travel.
        #expect(output.count < samples.count / 4, "\(output.count) of \(samples.count) sent")
        #expect(output.count > 10)
    }

    @Test func maxSilenceSendsAnUnchangedValueByEventTime() {
        var processor = DeadbandProcessor(DeadbandConfig(absolute: 1, maxSilence: .seconds(10)))
        let second = Fixture.second
        let times: [Int64] = [0, 4, 9, 10, 12, 19, 20, 30]
        let events = times.map { Fixture.event(5, at: Fixture.base + $0 * second) }
        let (output, drops) = Fixture.run(&processor, events)
        #expect(output.map { ($0.timestamp - Fixture.base) / second } == [0, 10, 20, 30])
        #expect(Fixture.count(drops, reason: "deadband") == 4)
    }

    @Test func firstValuePassesAndChangesBeyondTheBandPass() {
        var processor = DeadbandProcessor(DeadbandConfig(absolute: 1))
        let values: [Double] = [10, 10.5, 11, 11.01, 9.9, 10.8, 8]
        let events = values.enumerated().map { index, value in Fixture.event(value, at: Fixture.base + Int64(index)) }
        let (output, _) = Fixture.run(&processor, events)
        // 10 sent; 10.5 and 11 within 1 of 10; 11.01 beyond; 9.9 beyond 11.01; 10.8 within; 8 beyond.
        #expect(Fixture.samples(output).map(\.value) == [10, 11.01, 9.9, 8])
    }

    @Test func relativeBandScalesWithTheLastValueSent() {
        var processor = DeadbandProcessor(DeadbandConfig(relative: 0.1))
        let values: [Double] = [100, 109, 111, 1, 1.05, 1.2]
        let events = values.enumerated().map { index, value in Fixture.event(value, at: Fixture.base + Int64(index)) }
        let (output, _) = Fixture.run(&processor, events)
        #expect(Fixture.samples(output).map(\.value) == [100, 111, 1, 1.2])
    }

    @Test func onlyListedNumericFieldsAreFiltered() {
        var processor = DeadbandProcessor(DeadbandConfig(absolute: 10, fields: ["a"]))
        func event(_ a: Double, _ b: Double, at time: Int64) -> Event {
            Event(
                name: "m",
                timestamp: time,
                fields: [Event.Field("a", .number(a)), Event.Field("b", .number(b)), Event.Field("msg", .text("x"))]
            )
        }
        let (output, drops) = Fixture.run(&processor, [event(1, 1, at: 1), event(2, 2, at: 2)])
        #expect(output.count == 2)
        #expect(output[1].fields.map(\.name) == ["b", "msg"], "a dropped, b and the text field pass")
        #expect(drops.counts == [ProcessorDrops.Key(stream: "m.a", reason: "deadband"): 1])
    }

    @Test func anEventWithEveryFieldDroppedIsNotPassedOn() {
        var processor = DeadbandProcessor(DeadbandConfig(absolute: 1))
        let (output, _) = Fixture.run(&processor, [Fixture.event(1, at: 1), Fixture.event(1, at: 2)])
        #expect(output.count == 1)
    }

    @Test func seriesAreTrackedByNameTagsAndField() {
        var processor = DeadbandProcessor(DeadbandConfig(absolute: 1))
        let events = [
            Fixture.event(1, at: 1, tags: ["site": "lyon"]),
            Fixture.event(1, at: 2, tags: ["site": "nice"]),
            Fixture.event(1, at: 3, name: "other", tags: ["site": "lyon"]),
            Fixture.event(1, at: 4, field: "other", tags: ["site": "lyon"]),
            Fixture.event(1, at: 5, tags: ["site": "lyon"]),
        ]
        let (output, drops) = Fixture.run(&processor, events)
        #expect(output.count == 4)
        #expect(drops.counts == [ProcessorDrops.Key(stream: "temp", reason: "deadband"): 1])
    }
}
