import NIOCore
import Testing

@testable import LeptonCore

@Suite struct StatsFrameTests {
    /// The example of `docs/wire-protocol.md` §8.
    static let example = Message.Stats(
        startedAt: 1_700_000_000_000_000_000,
        sources: [
            Message.Stats.SourceStats(
                source: "app",
                produced: 10,
                acknowledged: 7,
                pending: 2,
                dropped: [Message.Stats.Drop(reason: "parse_error", count: 1)]
            )
        ]
    )

    static let exampleBytes: [UInt8] = [
        0x00, 0x00, 0x00, 0x3d, 0x09, 0x00,
        0x17, 0x97, 0x9c, 0xfe, 0x36, 0x2a, 0x00, 0x00,
        0x00, 0x01,
        0x00, 0x03, 0x61, 0x70, 0x70,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
        0x01,
        0x00, 0x0b, 0x70, 0x61, 0x72, 0x73, 0x65, 0x5f, 0x65, 0x72, 0x72, 0x6f, 0x72,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    ]

    static func encode(_ message: Message) -> [UInt8] {
        var buffer = ByteBuffer()
        message.encode(into: &buffer)
        return Array(buffer.readableBytesView)
    }

    /// Decodes a STATS payload (no header).
    static func decode(_ payload: [UInt8]) throws(WireDecodingError) -> Message {
        var buffer = ByteBuffer(bytes: payload)
        return try Message.decode(type: FrameType.stats.rawValue, flags: 0, payload: &buffer)
    }

    static func decodingError(_ payload: [UInt8]) -> WireDecodingError? {
        do throws(WireDecodingError) {
            _ = try decode(payload)
            return nil
        } catch {
            return error
        }
    }

    static func sources(_ count: Int, reasons: Int) -> [Message.Stats.SourceStats] {
        (0..<count).map { index in
            Message.Stats.SourceStats(
                source: "source-\(index)",
                produced: UInt64(index) * 3,
                acknowledged: UInt64(index) * 2,
                pending: .max,
                dropped: (0..<reasons).map { Message.Stats.Drop(reason: "reason-\($0)", count: UInt64($0)) }
            )
        }
    }

    @Test func exampleMatchesTheDocumentedBytes() throws {
        #expect(Self.encode(.stats(Self.example)) == Self.exampleBytes)
        #expect(try Self.decode(Array(Self.exampleBytes.dropFirst(6))) == .stats(Self.example))
    }

    @Test func frameTypeIsNine() {
        #expect(FrameType.stats.rawValue == 0x09)
        #expect(Message.stats(Self.example).frameType == .stats)
    }

    @Test func roundTripAtTheLimits() throws {
        let stats = Message.Stats(
            startedAt: .max,
            sources: Self.sources(Message.Stats.maxSources, reasons: Message.Stats.maxReasons)
        )
        let bytes = Self.encode(.stats(stats))
        #expect(try Self.decode(Array(bytes.dropFirst(6))) == .stats(stats))
    }

    @Test func encoderKeepsTheFirstSourcesAndReasonsWithinTheLimits() throws {
        let stats = Message.Stats(
            startedAt: 1,
            sources: Self.sources(Message.Stats.maxSources + 5, reasons: Message.Stats.maxReasons + 3)
        )
        guard case .stats(let decoded) = try Self.decode(Array(Self.encode(.stats(stats)).dropFirst(6))) else {
            Issue.record("expected STATS")
            return
        }
        #expect(decoded.sources.count == Message.Stats.maxSources)
        #expect(decoded.sources.last?.source == "source-\(Message.Stats.maxSources - 1)")
        #expect(decoded.sources.allSatisfy { $0.dropped.count == Message.Stats.maxReasons })
        #expect(decoded.sources.first?.dropped.last?.reason == "reason-\(Message.Stats.maxReasons - 1)")
    }

    @Test func tooManySourcesIsMalformed() {
        var payload: [UInt8] = Array(repeating: 0, count: 8)
        payload += [0x04, 0x01]  // 1025
        let error = Self.decodingError(payload)
        #expect(error?.code == .malformedFrame)
        #expect(error?.message.contains("source_count") == true)
    }

    @Test func tooManyReasonsIsMalformed() {
        var payload: [UInt8] = Array(repeating: 0, count: 8)
        payload += [0x00, 0x01, 0x00, 0x01, 0x61]  // one source, "a"
        payload += Array(repeating: 0, count: 24)  // produced, acknowledged, pending
        payload += [33]
        let error = Self.decodingError(payload)
        #expect(error?.code == .malformedFrame)
        #expect(error?.message.contains("reason_count") == true)
    }

    @Test func everyTruncationIsMalformed() {
        let payload = Array(Self.exampleBytes.dropFirst(6))
        for length in 0..<payload.count {
            #expect(Self.decodingError(Array(payload.prefix(length)))?.code == .malformedFrame, "cut at \(length)")
        }
    }

    @Test func aLoneByteAfterTheSourcesIsACutFidelitySection() {
        // Bytes after the sources start the optional fidelity section (StatsFidelityTests): one byte cannot hold it.
        let payload = Array(Self.exampleBytes.dropFirst(6)) + [0]
        let error = Self.decodingError(payload)
        #expect(error?.code == .malformedFrame)
        #expect(error?.message.contains("fidelity_count") == true)
    }

    @Test func invalidUTF8InASourceNameIsMalformed() {
        var payload = Array(Self.exampleBytes.dropFirst(6))
        payload[12] = 0xC3  // "app" → 0xC3 "pp": an incomplete two-byte sequence
        let error = Self.decodingError(payload)
        #expect(error?.code == .malformedFrame)
        #expect(error?.message.contains("UTF-8") == true)
    }
}
