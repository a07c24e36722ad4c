import LeptonTestSupport
import NIOCore
import Testing

@testable import LeptonCore

/// Malformed columns must fail with `ColumnarDecodingError` or decode to exactly `count` values: never trap, never
/// allocate for counts the bytes cannot hold.
@Suite struct ColumnarFuzzTests {
    enum Column: CaseIterable {
        case timestamps
        case numbers
        case texts
    }

    /// Decodes and reports how many values came back; throws only `ColumnarDecodingError`.
    static func decode(
        _ column: Column,
        count: Int,
        from buffer: inout ByteBuffer
    ) throws(ColumnarDecodingError) -> Int {
        switch column {
        case .timestamps: return try ColumnarCodec.decodeTimestamps(count: count, from: &buffer).count
        case .numbers: return try ColumnarCodec.decodeNumbers(count: count, from: &buffer).count
        case .texts: return try ColumnarCodec.decodeTexts(count: count, from: &buffer).count
        }
    }

    /// Decoding either throws (and `decode`'s signature makes that a `ColumnarDecodingError`) or gives `count` values.
    static func expectCleanOutcome(_ column: Column, count: Int, bytes: [UInt8], _ comment: Comment) {
        var buffer = ByteBuffer(bytes: bytes)
        if let decoded = try? decode(column, count: count, from: &buffer) {
            #expect(decoded == count, comment)
        }
    }

    /// Valid encodings of each column kind, of every scheme, to mutate.
    static func samples(_ column: Column, using generator: inout SplitMix64) -> [(count: Int, bytes: [UInt8])] {
        var samples: [(count: Int, bytes: [UInt8])] = []
        for kind in 0..<9 {
            let count = Int.random(in: 1...40, using: &generator)
            var buffer = ByteBuffer()
            switch column {
            case .timestamps:
                ColumnarCodec.encodeTimestamps(
                    TimestampColumnTests.random(kind: kind, count: count, using: &generator),
                    into: &buffer
                )
            case .numbers:
                ColumnarCodec.encodeNumbers(
                    NumberSamples.random(kind: kind, count: count, using: &generator),
                    into: &buffer
                )
            case .texts:
                let values = (0..<count).map { _ in TextColumnTests.pool.randomElement(using: &generator)! }
                ColumnarCodec.encodeTexts(values, into: &buffer)
            }
            samples.append((count, Array(buffer.readableBytesView)))
        }
        return samples
    }

    @Test(arguments: Column.allCases)
    func everyTruncationFailsCleanly(_ column: Column) throws {
        var generator = SplitMix64(seed: 7)
        for sample in Self.samples(column, using: &generator) {
            var whole = ByteBuffer(bytes: sample.bytes)
            let decodedCount = try Self.decode(column, count: sample.count, from: &whole)
            #expect(decodedCount == sample.count)
            #expect(whole.readableBytes == 0)
            for length in 0..<sample.bytes.count {
                // Every byte of a column is needed: no proper prefix decodes.
                var buffer = ByteBuffer(bytes: sample.bytes[..<length])
                #expect(throws: ColumnarDecodingError.self, "\(column): cut at \(length) of \(sample.bytes.count)") {
                    try Self.decode(column, count: sample.count, from: &buffer)
                }
            }
        }
    }

    @Test(arguments: Column.allCases)
    func flippedBytesFailCleanly(_ column: Column) {
        var generator = SplitMix64(seed: 11)
        for round in 0..<300 {
            for sample in Self.samples(column, using: &generator) {
                var bytes = sample.bytes
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    let position = Int.random(in: 0..<bytes.count, using: &generator)
                    bytes[position] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
                }
                let count =
                    Int.random(in: 0..<4, using: &generator) == 0
                    ? Int.random(in: 0...100, using: &generator) : sample.count
                Self.expectCleanOutcome(column, count: count, bytes: bytes, "round \(round)")
            }
        }
    }

    @Test(arguments: Column.allCases)
    func garbageWithAnyCountFailsCleanly(_ column: Column) {
        var generator = SplitMix64(seed: 13)
        let counts = [0, 1, 2, 3, 8, 64, 1000, 100_000, ColumnarCodec.maximumCount + 1, Int.max, -1, Int.min]
        for round in 0..<2000 {
            let length = Int.random(in: 0...64, using: &generator)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if !bytes.isEmpty && column == .numbers {
                bytes[0] = UInt8.random(in: 0...5, using: &generator)  // mostly valid schemes, to get further in
            }
            let count = counts.randomElement(using: &generator)!
            Self.expectCleanOutcome(column, count: count, bytes: bytes, "round \(round), count \(count)")
        }
    }

    @Test(arguments: Column.allCases)
    func hugeCountsAreRejectedBeforeAllocating(_ column: Column) {
        for count in [ColumnarCodec.maximumCount + 1, Int.max, -1] {
            var buffer = ByteBuffer(bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
            #expect(throws: ColumnarDecodingError.self) { try Self.decode(column, count: count, from: &buffer) }
        }
        // Counts the bytes cannot hold: a 10-byte column of 100 000 raw doubles or 64-bit fields.
        var raw = ByteBuffer(bytes: [NumberScheme.raw.rawValue] + [UInt8](repeating: 0, count: 9))
        #expect(throws: ColumnarDecodingError.self) { try ColumnarCodec.decodeNumbers(count: 100_000, from: &raw) }
        var wide = ByteBuffer(bytes: [0, 1, 0, 64, 0, 0, 0, 0, 0, 0])
        #expect(throws: ColumnarDecodingError.self) { try ColumnarCodec.decodeTimestamps(count: 100_000, from: &wide) }
    }

    @Test func nonZeroPaddingIsRejected() {
        var buffer = ByteBuffer()
        ColumnarCodec.encodeTexts(["a", "b", "a"], into: &buffer)  // 3 one-bit indices: 5 bits of padding
        var bytes = Array(buffer.readableBytesView)
        bytes[bytes.count - 1] |= 0x80
        var corrupted = ByteBuffer(bytes: bytes)
        #expect(throws: ColumnarDecodingError.self) { try ColumnarCodec.decodeTexts(count: 3, from: &corrupted) }
    }
}
