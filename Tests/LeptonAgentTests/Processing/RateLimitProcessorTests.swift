import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct RateLimitProcessorTests {
    typealias Fixture = ProcessorFixture
    static let millisecond: Int64 = 1_000_000

    /// Feeds one `temp` value per entry of `nows` (wall-clock milliseconds); returns which passed.
    static func passes(
        _ processor: inout RateLimitProcessor,
        at nows: [Int64],
        name: String = "temp"
    )
        -> [Bool]
    {
        var drops = ProcessorDrops()
        return nows.map { now in
            var output: [Event] = []
            processor.process(
                Fixture.event(1, at: now, name: name),
                now: now * millisecond,
                into: &output,
                drops: &drops
            )
            return !output.isEmpty
        }
    }

    @Test func burstDefaultsToTheRateRoundedUp() {
        #expect(RateLimitConfig(perSecond: 2).burst == 2)
        #expect(RateLimitConfig(perSecond: 0.5).burst == 1)
        #expect(RateLimitConfig(perSecond: 2.2).burst == 3)
        #expect(RateLimitConfig(perSecond: 2, burst: 5).burst == 5)
    }

    @Test func aFullBucketLetsABurstThroughThenRefillsByWallClock() {
        var processor = RateLimitProcessor(RateLimitConfig(perSecond: 2))
        // Burst 2 at t=0; one token per 500 ms after.
        #expect(Self.passes(&processor, at: [0, 0, 0, 0]) == [true, true, false, false])
        #expect(Self.passes(&processor, at: [499]) == [false])
        #expect(Self.passes(&processor, at: [500, 500]) == [true, false])
        #expect(Self.passes(&processor, at: [10_000, 10_000, 10_000]) == [true, true, false], "at most the burst")
    }

    @Test func aSlowRateAccumulatesFractionsOfAToken() {
        var processor = RateLimitProcessor(RateLimitConfig(perSecond: 0.5))
        let nows: [Int64] = [0, 1000, 1999, 2000, 3000, 4000]
        #expect(Self.passes(&processor, at: nows) == [true, false, false, true, false, true])
    }

    @Test func eachSeriesHasItsOwnBucketAndDropsAreCounted() {
        var processor = RateLimitProcessor(RateLimitConfig(perSecond: 1, burst: 1))
        let events = [
            Fixture.event(1, at: 0, name: "a"),
            Fixture.event(2, at: 0, name: "a"),
            Fixture.event(3, at: 0, name: "b"),
            Fixture.event(4, at: 0, name: "a"),
        ]
        let (output, drops) = Fixture.run(&processor, events, now: { _ in 5 })
        #expect(output.map(\.name) == ["a", "b"])
        #expect(drops.counts == [ProcessorDrops.Key(stream: "a", reason: "rate_limited"): 2])
    }

    @Test func aClockGoingBackDoesNotAddTokens() {
        var processor = RateLimitProcessor(RateLimitConfig(perSecond: 1, burst: 1))
        #expect(Self.passes(&processor, at: [5000, 4000, 5999, 6000]) == [true, false, false, true])
    }
}
