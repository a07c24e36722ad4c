import LeptonTestSupport
import NIOCore
import Testing

@testable import LeptonCore

@Suite struct BatchCodecTests {
    static func sample() -> [Record] {
        [
            Record(stream: "load.0", timestamp: 1_795_000_000_000_000_000, value: .number(0.52)),
            Record(stream: "app", timestamp: 1_795_000_000_000_000_001, value: .text("")),
            Record(stream: "app", timestamp: 1_794_999_999_000_000_000, value: .text("ünïcødé ✓ 日本語 🚀")),
            Record(stream: "weird", timestamp: -5, value: .number(.infinity)),
            Record(stream: "weird", timestamp: .max, value: .number(-.infinity)),
            Record(stream: "weird", timestamp: .min, value: .number(-0.0)),
            Record(stream: "", timestamp: 0, value: .number(.leastNonzeroMagnitude)),
        ]
    }

    @Test(arguments: [BatchCompression.none, .zlib])
    func roundTrip(_ compression: BatchCompression) throws {
        let records = Self.sample()
        let frame = try BatchCodec.encode(records, sequence: 5, compression: compression)
        #expect(frame.recordCount == UInt32(records.count))
        let decoded = try BatchCodec.decode(frame, maxRawBytes: 1 << 20)
        #expect(decoded == records)
        #expect(decoded[5].value.number?.sign == .minus)
    }

    @Test func nanPayloadSurvivesBitExact() throws {
        let nan = Double(bitPattern: 0x7FF8_0000_DEAD_BEEF)
        let frame = try BatchCodec.encode([Record(stream: "x", timestamp: 1, value: .number(nan))], sequence: 1)
        let decoded = try BatchCodec.decode(frame, maxRawBytes: 1 << 20)
        #expect(decoded.first?.value.number?.bitPattern == nan.bitPattern)
    }

    @Test func singleRecord() throws {
        let record = Record(stream: "s", timestamp: 42, value: .text("one"))
        let frame = try BatchCodec.encode([record], sequence: 1)
        #expect(try BatchCodec.decode(frame, maxRawBytes: 1 << 20) == [record])
    }

    @Test func largeBatchAtTheRawLimit() throws {
        let line = String(repeating: "x", count: 1000)
        let records = (0..<1000).map { Record(stream: "log", timestamp: Int64($0), value: .text(line)) }
        let frame = try BatchCodec.encode(records, sequence: 1)
        #expect(frame.body.readableBytes < Int(frame.rawLength) / 10)
        #expect(try BatchCodec.decode(frame, maxRawBytes: Int(frame.rawLength)) == records)
        #expect(throws: BatchDecodingError.self) { try BatchCodec.decode(frame, maxRawBytes: Int(frame.rawLength) - 1) }
    }

    @Test(arguments: [BatchCompression.none, .zlib])
    func flippedByteIsDetected(_ compression: BatchCompression) throws {
        var frame = try BatchCodec.encode(Self.sample(), sequence: 1, compression: compression)
        var body = frame.body
        let index = body.readerIndex + body.readableBytes / 2
        body.setInteger(body.getInteger(at: index, as: UInt8.self)! ^ 0x10, at: index)
        frame.body = body
        #expect {
            try BatchCodec.decode(frame, maxRawBytes: 1 << 20)
        } throws: { error in
            "\(error)".contains("checksum")
        }
    }

    @Test func wrongRecordCountIsDetected() throws {
        var frame = try BatchCodec.encode(Self.sample(), sequence: 1)
        frame.recordCount += 1
        #expect(throws: BatchDecodingError.self) { try BatchCodec.decode(frame, maxRawBytes: 1 << 20) }
    }

    @Test func wrongRawLengthIsDetected() throws {
        var frame = try BatchCodec.encode(Self.sample(), sequence: 1)
        frame.rawLength -= 1
        #expect(throws: BatchDecodingError.self) { try BatchCodec.decode(frame, maxRawBytes: 1 << 20) }
    }

    @Test func decompressionBombIsStoppedAtTheDeclaredLength() throws {
        // 4 MiB of zeros compresses to a few KiB; declare it as 1 KiB raw.
        let records = [Record(stream: "z", timestamp: 0, value: .text(String(repeating: "\0", count: 4 << 20)))]
        var frame = try BatchCodec.encode(records, sequence: 1)
        frame.rawLength = 1024
        #expect(throws: BatchDecodingError.self) { try BatchCodec.decode(frame, maxRawBytes: 1 << 20) }
    }

    @Test func unknownEncodingAndCompressionAreRejected() throws {
        var frame = try BatchCodec.encode(Self.sample(), sequence: 1)
        frame.encoding = 9
        #expect(throws: BatchDecodingError.self) { try BatchCodec.decode(frame, maxRawBytes: 1 << 20) }
        frame.encoding = 1
        frame.compression = 9
        #expect(throws: BatchDecodingError.self) { try BatchCodec.decode(frame, maxRawBytes: 1 << 20) }
    }

    @Test func randomBodiesFailCleanly() {
        for seed in 0..<500 {
            var generator = SplitMix64(seed: UInt64(seed))
            let length = Int(generator.next() % 200)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let body = ByteBuffer(bytes: bytes)
            let frame = Message.BatchFrame(
                sequence: 1,
                recordCount: UInt32(generator.next() % 100),
                encoding: 1,
                compression: 0,
                rawLength: UInt32(bytes.count),
                checksum: bytes.withUnsafeBytes { CRC32C.checksum($0) },
                body: body
            )
            _ = try? BatchCodec.decode(frame, maxRawBytes: 1 << 20)
        }
    }
}
