import LeptonTestSupport
import NIOCore
import Testing

@testable import LeptonCore

/// Batch encoding 2 (`columnar v1`) end to end through `BatchCodec`.
@Suite struct ColumnarBatchTests {
    /// Records grouped by stream, each stream in its batch order: what columnar decoding yields.
    static func byStream(_ records: [Record]) -> [Record] {
        var order: [String] = []
        var groups: [String: [Record]] = [:]
        for record in records {
            if groups[record.stream] == nil { order.append(record.stream) }
            groups[record.stream, default: []].append(record)
        }
        return order.flatMap { groups[$0]! }
    }

    @Test(arguments: [BatchCompression.none, .zlib])
    func mixedStreamsRoundTripBitExact(_ compression: BatchCompression) throws {
        var records = BatchCodecTests.sample()
        // A stream holding both numbers and texts, interleaved.
        records += [
            Record(stream: "mixed", timestamp: 10, value: .number(1.5)),
            Record(stream: "mixed", timestamp: 11, value: .text("one")),
            Record(stream: "mixed", timestamp: 12, value: .number(.nan)),
            Record(stream: "mixed", timestamp: 13, value: .text("one")),
        ]
        let frame = try BatchCodec.encode(records, sequence: 3, encoding: .columnarV1, compression: compression)
        #expect(frame.encoding == BatchEncoding.columnarV1.rawValue)
        let decoded = try BatchCodec.decode(frame, maxRawBytes: 1 << 20)
        let expected = Self.byStream(records)
        #expect(decoded.count == expected.count)
        for (got, want) in zip(decoded, expected) {
            #expect(got.stream == want.stream && got.timestamp == want.timestamp)
            switch (got.value, want.value) {
            case (.number(let a), .number(let b)): #expect(a.bitPattern == b.bitPattern)
            case (.text(let a), .text(let b)): #expect(a == b)
            default: Issue.record("kind changed: \(got) vs \(want)")
            }
        }
    }

    @Test func aSlowDecimalSensorCostsUnderABytePerSampleOnTheWire() throws {
        let start: Int64 = 1_795_000_000_000_000_000
        var value = 215
        var generator = SplitMix64(seed: 7)
        let records = (0..<1000).map { index -> Record in
            value += Int(generator.next() % 3) - 1
            return Record(
                stream: "thermal.zone0",
                timestamp: start + Int64(index) * 1_000_000_000,
                value: .number(Double(value) / 10)
            )
        }
        let columnar = try BatchCodec.encode(records, sequence: 1, encoding: .columnarV1)
        let rows = try BatchCodec.encode(records, sequence: 1, encoding: .rowV1)
        #expect(columnar.wireSize < 1000, "columnar: \(columnar.wireSize) bytes for 1,000 samples")
        #expect(columnar.wireSize * 3 < rows.wireSize, "row v1: \(rows.wireSize) bytes")
        #expect(try BatchCodec.decode(columnar, maxRawBytes: 1 << 20) == records)
    }

    @Test func recordCountsThatDoNotAddUpAreRejected() throws {
        var frame = try BatchCodec.encode(
            BatchCodecTests.sample(),
            sequence: 1,
            encoding: .columnarV1,
            compression: .none
        )
        frame.recordCount += 1
        #expect(throws: BatchDecodingError.self) { try BatchCodec.decode(frame, maxRawBytes: 1 << 20) }
        frame.recordCount -= 2
        #expect(throws: BatchDecodingError.self) { try BatchCodec.decode(frame, maxRawBytes: 1 << 20) }
    }

    static func frame(_ body: [UInt8], records: UInt32) -> Message.BatchFrame {
        Message.BatchFrame(
            sequence: 1,
            recordCount: records,
            encoding: BatchEncoding.columnarV1.rawValue,
            compression: BatchCompression.none.rawValue,
            rawLength: UInt32(body.count),
            checksum: body.withUnsafeBytes { CRC32C.checksum($0) },
            body: ByteBuffer(bytes: body)
        )
    }

    @Test func tinyBodiesClaimingHugeCountsAreRefusedBeforeAllocating() {
        // One stream claiming 2^32 − 1 records in 8 bytes.
        let claim = Self.frame([0x01, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00], records: .max)
        #expect(throws: BatchDecodingError.self) { try BatchCodec.decode(claim, maxRawBytes: 16 << 20) }
        #expect(throws: BatchDecodingError.self) { try BatchCodec.decode(claim, maxRawBytes: .max) }

        // 2^22 records of a constant on a regular clock cost about 20 bytes: many such streams must not decode
        // into billions of records.
        let stream: [UInt8] =
            [0x00, 0x80, 0x80, 0x80, 0x02, 0x00]  // empty name, n = 2^22, all numbers
            + [0x00, 0x01, 0x00, 0x00, 0x00]  // timestamps: t0 0, unit 1, period 0, width 0, no exceptions
            + [0x00] + [UInt8](repeating: 0, count: 8)  // constant 0.0
        let streams = 64
        let fanOut = Self.frame(
            [UInt8(streams)] + Array([[UInt8]](repeating: stream, count: streams).joined()),
            records: UInt32(streams) << 22
        )
        #expect(throws: BatchDecodingError.self) { try BatchCodec.decode(fanOut, maxRawBytes: 16 << 20) }
    }

    @Test func aLongTextRepeatedByTheDictionaryIsBoundedByTheRawLimit() throws {
        let line = String(repeating: "x", count: 20_000)
        let records = (0..<100).map { Record(stream: "log", timestamp: Int64($0), value: .text(line)) }
        let frame = try BatchCodec.encode(records, sequence: 1, encoding: .columnarV1)
        // The dictionary stores the text once; decoded, it is 100 texts of 20 kB.
        #expect(Int(frame.rawLength) < 40_000)
        #expect(throws: BatchDecodingError.self) { try BatchCodec.decode(frame, maxRawBytes: 1 << 20) }
        #expect(try BatchCodec.decode(frame, maxRawBytes: 4 << 20).count == 100)
    }

    @Test func damagedColumnarBodiesFailCleanly() throws {
        let valid = try BatchCodec.encode(
            BatchCodecTests.sample(),
            sequence: 1,
            encoding: .columnarV1,
            compression: .none
        )
        let bytes = Array(valid.body.readableBytesView)
        var generator = SplitMix64(seed: 99)
        for round in 0..<2000 {
            var damaged = bytes
            if round < bytes.count {
                damaged = Array(bytes.prefix(round))  // every truncation
            } else {
                for _ in 0...(generator.next() % 4) {
                    let index = Int(generator.next() % UInt64(damaged.count))
                    damaged[index] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
                }
            }
            let frame = Message.BatchFrame(
                sequence: 1,
                recordCount: valid.recordCount,
                encoding: BatchEncoding.columnarV1.rawValue,
                compression: BatchCompression.none.rawValue,
                rawLength: UInt32(damaged.count),
                checksum: damaged.withUnsafeBytes { CRC32C.checksum($0) },
                body: ByteBuffer(bytes: damaged)
            )
            // Either a clean error or records that add up: never a trap.
            if let decoded = try? BatchCodec.decode(frame, maxRawBytes: 1 << 20) {
                #expect(decoded.count == Int(valid.recordCount))
            }
        }
    }
}
