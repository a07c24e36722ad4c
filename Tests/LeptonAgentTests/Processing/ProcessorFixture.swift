import Foundation
import LeptonCore
import LeptonTestSupport

@testable import LeptonAgent

/// Events, signals and a driver shared by the processor tests.
enum ProcessorFixture {
    /// 2023-11-14T22:13:20Z in nanoseconds: a realistic epoch for event times.
    static let base: Int64 = 1_700_000_000_000_000_000
    static let second: Int64 = 1_000_000_000

    /// One sample of a signal.
    struct Sample: Sendable {
        var timestamp: Int64
        var value: Double
    }

    /// An event named `name` with one numeric field.
    static func event(
        _ value: Double,
        at timestamp: Int64,
        name: String = "temp",
        field: String = "value",
        tags: Tags = ["site": "lyon"]
    ) -> Event {
        Event(name: name, timestamp: timestamp, tags: tags, fields: [Event.Field(field, .number(value))])
    }

    /// Runs `events` through `processor` (read at `now` = their timestamp unless given), then flushes when asked.
    static func run<P: Processor>(
        _ processor: inout P,
        _ events: [Event],
        now: ((Event) -> Int64)? = nil,
        flush: Bool = false
    ) -> (output: [Event], drops: ProcessorDrops) {
        var output: [Event] = []
        var drops = ProcessorDrops()
        for event in events {
            processor.process(event, now: now?(event) ?? event.timestamp, into: &output, drops: &drops)
        }
        if flush { processor.flush(into: &output) }
        return (output, drops)
    }

    /// The drops of one stream and reason.
    static func count(_ drops: ProcessorDrops, stream: String = "temp", reason: String) -> Int {
        drops.counts[ProcessorDrops.Key(stream: stream, reason: reason)] ?? 0
    }

    /// The numeric `value` samples of `events`, in order.
    static func samples(_ events: [Event], field: String = "value") -> [Sample] {
        events.compactMap { event in
            guard let value = event[field: field]?.number else { return nil }
            return Sample(timestamp: event.timestamp, value: value)
        }
    }

    // MARK: - Signals

    /// Sample times one second apart, or between 0.5 and 1.5 seconds apart with `jitter`.
    static func times(_ count: Int, jitter: Bool, using generator: inout SplitMix64) -> [Int64] {
        var time = base
        var times: [Int64] = []
        for _ in 0..<count {
            times.append(time)
            time += jitter ? Int64.random(in: second / 2...second * 3 / 2, using: &generator) : second
        }
        return times
    }

    /// A random walk with steps of up to ±`step`.
    static func randomWalk(seed: UInt64, count: Int = 2000, step: Double = 1, jitter: Bool = false) -> [Sample] {
        var generator = SplitMix64(seed: seed)
        var value = 20.0
        return times(count, jitter: jitter, using: &generator).map { time in
            value += Double.random(in: -step...step, using: &generator)
            return Sample(timestamp: time, value: value)
        }
    }

    /// A sine of amplitude 10 and period `period` samples, plus uniform noise of up to ±`noise`.
    static func sine(
        seed: UInt64,
        count: Int = 2000,
        period: Double = 300,
        noise: Double,
        jitter: Bool = false
    )
        -> [Sample]
    {
        var generator = SplitMix64(seed: seed)
        return times(count, jitter: jitter, using: &generator).map { time in
            let phase = Double(time - base) / Double(second) / period * 2 * Double.pi
            let jitterValue = noise > 0 ? Double.random(in: -noise...noise, using: &generator) : 0
            return Sample(timestamp: time, value: 10 * sin(phase) + jitterValue)
        }
    }

    /// Flat runs of random length at random levels, a little noise on top.
    static func steps(seed: UInt64, count: Int = 2000, jitter: Bool = false) -> [Sample] {
        var generator = SplitMix64(seed: seed)
        var level = 0.0
        var remaining = 0
        return times(count, jitter: jitter, using: &generator).map { time in
            if remaining == 0 {
                level = Double.random(in: -50...50, using: &generator)
                remaining = Int.random(in: 1...80, using: &generator)
            }
            remaining -= 1
            return Sample(timestamp: time, value: level + Double.random(in: -0.01...0.01, using: &generator))
        }
    }

    /// The signals the property tests run on, named for failure messages.
    static func signals(seed: UInt64, jitter: Bool) -> [(name: String, samples: [Sample])] {
        [
            ("random walk \(seed)", randomWalk(seed: seed, jitter: jitter)),
            ("sine + noise \(seed)", sine(seed: seed, noise: 0.3, jitter: jitter)),
            ("smooth sine \(seed)", sine(seed: seed, noise: 0, jitter: jitter)),
            ("steps \(seed)", steps(seed: seed, jitter: jitter)),
        ]
    }
}
