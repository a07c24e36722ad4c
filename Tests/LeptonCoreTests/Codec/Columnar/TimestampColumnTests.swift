import LeptonTestSupport
import NIOCore
import Testing

@testable import LeptonCore

@Suite struct TimestampColumnTests {
    static let epoch: Int64 = 1_795_000_000_000_000_000
    static let millisecond: Int64 = 1_000_000

    /// A column of one of several shapes, chosen by `kind`.
    static func random(kind: Int, count: Int, using generator: inout SplitMix64) -> [Int64] {
        switch kind % 6 {
        case 0:  // any values at all: deltas overflow
            return (0..<count).map { _ in Int64(bitPattern: generator.next()) }
        case 1:  // a clock with jitter
            let period = Int64.random(in: 1...1_000_000_000, using: &generator)
            let jitter = Int64.random(in: 0...period / 4, using: &generator)
            var time = epoch
            return (0..<count).map { _ in
                time += period + Int64.random(in: -jitter...jitter, using: &generator)
                return time
            }
        case 2:  // regular ticks of whole milliseconds with gaps
            var time = epoch
            return (0..<count).map { _ in
                let gap =
                    Int.random(in: 0..<100, using: &generator) == 0
                    ? Int64.random(in: 1...10_000, using: &generator) : 1
                time += 16 * millisecond * gap
                return time
            }
        case 3:  // decreasing, unevenly
            var time = epoch
            return (0..<count).map { _ in
                time -= Int64.random(in: 0...5_000_000, using: &generator)
                return time
            }
        case 4:  // extremes
            let extremes: [Int64] = [.min, .max, 0, -1, 1, .min + 1, .max - 1, epoch]
            return (0..<count).map { _ in extremes.randomElement(using: &generator)! }
        default:  // sorted random
            return (0..<count).map { _ in Int64.random(in: 0...Int64.max, using: &generator) }.sorted()
        }
    }

    @Test func randomColumnsRoundTrip() throws {
        for seed in 0..<200 {
            var generator = SplitMix64(seed: UInt64(seed))
            let count = seed < 10 ? seed : Int.random(in: 0...2000, using: &generator)
            let values = Self.random(kind: seed, count: count, using: &generator)
            let (decoded, _) = try ColumnarRoundTrip.timestamps(values)
            #expect(decoded == values, "seed \(seed)")
        }
    }

    @Test(
        arguments: [
            [],
            [0],
            [.min],
            [.max, .min],
            [.min, .max],
            [.max, .min, .max, .min, 0, -1, .min],
            [.min, .min, .min],
            [0, .min, 0, .min],
            [.max, .max - 1, .max - 2],
            [1, -1, 1, -1, 1],
            [1_795_000_000_000_000_000, 1_795_000_000_000_000_000, 1_795_000_000_000_000_000],
            [1_795_000_000_000_000_000, 1_794_999_999_999_999_999, 1_795_000_001_000_000_000],
        ] as [[Int64]]
    )
    func extremesRoundTrip(_ values: [Int64]) throws {
        #expect(try ColumnarRoundTrip.timestamps(values).decoded == values)
    }

    @Test func emptyColumnIsNoBytes() throws {
        var buffer = ByteBuffer()
        ColumnarCodec.encodeTimestamps([], into: &buffer)
        #expect(buffer.readableBytes == 0)
        let decoded = try ColumnarCodec.decodeTimestamps(count: 0, from: &buffer)
        #expect(decoded.isEmpty)
    }

    @Test func regularClockCostsNothingPerSample() throws {
        let values = (0..<1000).map { Self.epoch + Int64($0) * 1_000_000_000 }
        let (decoded, bytes) = try ColumnarRoundTrip.timestamps(values)
        #expect(decoded == values)
        #expect(bytes <= 20)
    }

    /// A 64 Hz clock stamped in whole milliseconds: 15, 16, 16, 15, 16, 16 … ms.
    @Test func fifteenSixteenAlternationCostsOneBitPerSample() throws {
        let pattern: [Int64] = [15, 16, 16]
        var time = Self.epoch
        let values = (0..<1000).map { index -> Int64 in
            defer { time += pattern[index % 3] * Self.millisecond }
            return time
        }
        let (decoded, bytes) = try ColumnarRoundTrip.timestamps(values)
        #expect(decoded == values)
        // header: t0 (9 bytes), unit, period, width, exception count; then one bit per residual
        #expect(bytes <= (values.count - 1 + 7) / 8 + 16)
    }

    @Test func evenAlternationCostsOneBitPerSample() throws {
        for first in [15, 16] as [Int64] {
            var time = Self.epoch
            let values = (0..<1000).map { index -> Int64 in
                defer { time += (index % 2 == 0 ? first : 31 - first) * Self.millisecond }
                return time
            }
            let (decoded, bytes) = try ColumnarRoundTrip.timestamps(values)
            #expect(decoded == values)
            #expect(bytes <= (values.count - 1 + 7) / 8 + 16)
        }
    }

    @Test func rareGapsBecomeExceptions() throws {
        var values = (0..<1000).map { Self.epoch + Int64($0) * 1_000_000_000 }
        for index in [10, 500, 501, 900] {
            for later in index..<values.count { values[later] += 3_600_000_000_000 }
        }
        let (decoded, bytes) = try ColumnarRoundTrip.timestamps(values)
        #expect(decoded == values)
        #expect(bytes <= 60)  // no field widened for all: 4 exceptions of a few bytes each
    }

    @Test func jitteredClockStaysCompact() throws {
        var generator = SplitMix64(seed: 64)
        var time = Self.epoch
        let values = (0..<1000).map { _ -> Int64 in
            time += 15_625_000 + Int64.random(in: -100_000...100_000, using: &generator)
            return time
        }
        let (decoded, bytes) = try ColumnarRoundTrip.timestamps(values)
        #expect(decoded == values)
        #expect(bytes <= 1000 * 19 / 8 + 40)  // residuals within ±200 µs: 19 bits
    }
}
