import NIOCore
import NIOTestUtils
import Testing

@testable import LeptonCore

@Suite struct FrameCodecTests {
    static let messages: [Message] = [
        .hello(Message.Hello(agentID: "edge-01", resumeSequence: 42)),
        .hello(Message.Hello(agentID: "ünïcødé-agent", resumeSequence: 0, encodings: [], compressions: [])),
        .welcome(
            Message.Welcome(
                sessionID: 7,
                highWaterSequence: .max,
                initialCredit: 16 << 20,
                maxFrameBytes: 8 << 20,
                maxBatchRawBytes: 16 << 20,
                heartbeatMilliseconds: 15_000
            )
        ),
        .batch(
            Message.BatchFrame(
                sequence: 99,
                recordCount: 3,
                encoding: 1,
                compression: 1,
                rawLength: 1234,
                checksum: 0xDEAD_BEEF,
                body: ByteBuffer(bytes: [1, 2, 3, 4, 5])
            )
        ),
        .ack(Message.Ack(sequence: 99, credit: 5000, advisedBytesPerSecond: 1 << 20, adviceFlags: 1)),
        .ping(123),
        .pong(.max),
        .goAway(Message.GoAway(reason: .shuttingDown, retryAfterMilliseconds: 2000, text: "bye")),
        .error(Message.WireError(code: .storageUnavailable, retryable: true, message: "disk full")),
        .stats(Message.Stats(startedAt: 0, sources: [])),
        .stats(StatsFrameTests.example),
        .stats(StatsFidelityTests.example),
    ]

    private func encode(_ message: Message) -> ByteBuffer {
        var buffer = ByteBuffer()
        message.encode(into: &buffer)
        return buffer
    }

    @Test(arguments: messages)
    func roundTrip(_ message: Message) throws {
        var buffer = encode(message)
        var decoder = FrameDecoder(maxFrameBytes: 1 << 20)
        let decoded = try decoder.decode(buffer: &buffer)
        #expect(decoded == message)
        #expect(buffer.readableBytes == 0)
    }

    @Test func decoderHandlesEveryChunking() throws {
        let pairs = Self.messages.map { (encode($0), [$0]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            FrameDecoder(maxFrameBytes: 1 << 20)
        }
    }

    @Test func headerLayoutIsLengthTypeFlags() {
        let buffer = encode(.ping(0x0102_0304_0506_0708))
        #expect(Array(buffer.readableBytesView) == [0, 0, 0, 8, 0x05, 0, 1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func truncatedFrameWaitsForMoreBytes() throws {
        var full = encode(.hello(Message.Hello(agentID: "edge-01", resumeSequence: 1)))
        var partial = full.readSlice(length: full.readableBytes - 1)!
        var decoder = FrameDecoder(maxFrameBytes: 1 << 20)
        #expect(try decoder.decode(buffer: &partial) == nil)
        #expect(throws: WireDecodingError.self) { try decoder.decodeLast(buffer: &partial, seenEOF: true) }
    }

    @Test func oversizedLengthIsRejectedBeforeThePayloadArrives() {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(64 << 20))
        buffer.writeInteger(FrameType.batch.rawValue)
        buffer.writeInteger(UInt8(0))
        var decoder = FrameDecoder(maxFrameBytes: 1 << 20)
        #expect {
            try decoder.decode(buffer: &buffer)
        } throws: { error in
            (error as? WireDecodingError)?.code == .frameTooLarge
        }
    }

    @Test func unknownTypeIsRejected() {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 0, 0x7F, 0])
        var decoder = FrameDecoder(maxFrameBytes: 1 << 20)
        #expect {
            try decoder.decode(buffer: &buffer)
        } throws: { error in
            (error as? WireDecodingError)?.code == .malformedFrame
        }
    }

    @Test func truncatedPayloadFieldIsMalformed() {
        // A PING frame whose payload is 4 bytes instead of 8.
        var buffer = ByteBuffer(bytes: [0, 0, 0, 4, 0x05, 0, 1, 2, 3, 4])
        var decoder = FrameDecoder(maxFrameBytes: 1 << 20)
        #expect(throws: WireDecodingError.self) { try decoder.decode(buffer: &buffer) }
    }

    @Test func trailingBytesAreMalformed() {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 9, 0x05, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        var decoder = FrameDecoder(maxFrameBytes: 1 << 20)
        #expect(throws: WireDecodingError.self) { try decoder.decode(buffer: &buffer) }
    }

    @Test func invalidUTF8IsMalformed() {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(2 + 2 + 2 + 8 + 2))
        buffer.writeInteger(FrameType.hello.rawValue)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt16(1))
        buffer.writeInteger(UInt16(2))
        buffer.writeBytes([0xC3, 0x28])
        buffer.writeInteger(UInt64(0))
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt8(0))
        var decoder = FrameDecoder(maxFrameBytes: 1 << 20)
        #expect {
            try decoder.decode(buffer: &buffer)
        } throws: { error in
            "\(error)".contains("UTF-8")
        }
    }

    @Test func garbageNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let length = Int.random(in: 0..<64, using: &generator)
            var buffer = ByteBuffer(bytes: (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            var decoder = FrameDecoder(maxFrameBytes: 1024)
            // Either a message, a need for more bytes, or a clean error: never a crash or a huge allocation.
            _ = try? decoder.decode(buffer: &buffer)
        }
    }

    @Test func longStringsAreCutAtAScalarBoundary() throws {
        let text = String(repeating: "é", count: 40_000)  // 80,000 UTF-8 bytes
        var buffer = encode(.goAway(Message.GoAway(reason: .overloaded, retryAfterMilliseconds: 1, text: text)))
        var decoder = FrameDecoder(maxFrameBytes: 1 << 20)
        guard case .goAway(let decoded)? = try decoder.decode(buffer: &buffer) else {
            Issue.record("expected GOAWAY")
            return
        }
        #expect(decoded.text.utf8.count <= Int(UInt16.max))
        #expect(decoded.text.allSatisfy { $0 == "é" })
    }
}
