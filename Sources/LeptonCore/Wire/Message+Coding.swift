import NIOCore

extension Message {
    /// Writes the whole frame (header and payload) to `buffer`.
    public func encode(into buffer: inout ByteBuffer) {
        let start = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(frameType.rawValue)
        buffer.writeInteger(UInt8(0))
        let payloadStart = buffer.writerIndex
        switch self {
        case .hello(let hello):
            buffer.writeInteger(hello.protocolVersion)
            buffer.writeShortString(hello.agentID)
            buffer.writeInteger(hello.resumeSequence)
            buffer.writeInteger(UInt8(hello.encodings.count))
            buffer.writeBytes(hello.encodings)
            buffer.writeInteger(UInt8(hello.compressions.count))
            buffer.writeBytes(hello.compressions)
        case .welcome(let welcome):
            buffer.writeInteger(welcome.protocolVersion)
            buffer.writeInteger(welcome.sessionID)
            buffer.writeInteger(welcome.highWaterSequence)
            buffer.writeInteger(welcome.initialCredit)
            buffer.writeInteger(welcome.maxFrameBytes)
            buffer.writeInteger(welcome.maxBatchRawBytes)
            buffer.writeInteger(welcome.heartbeatMilliseconds)
        case .batch(let batch):
            buffer.writeInteger(batch.sequence)
            buffer.writeInteger(batch.recordCount)
            buffer.writeInteger(batch.encoding)
            buffer.writeInteger(batch.compression)
            buffer.writeInteger(batch.rawLength)
            buffer.writeInteger(batch.checksum)
            buffer.writeImmutableBuffer(batch.body)
        case .ack(let ack):
            buffer.writeInteger(ack.sequence)
            buffer.writeInteger(ack.credit)
            buffer.writeInteger(ack.advisedBytesPerSecond)
            buffer.writeInteger(ack.adviceFlags)
        case .ping(let nonce), .pong(let nonce):
            buffer.writeInteger(nonce)
        case .goAway(let goAway):
            buffer.writeInteger(goAway.reason.rawValue)
            buffer.writeInteger(goAway.retryAfterMilliseconds)
            buffer.writeShortString(goAway.text)
        case .error(let error):
            buffer.writeInteger(error.code.rawValue)
            buffer.writeInteger(UInt8(error.retryable ? 1 : 0))
            buffer.writeShortString(error.message)
        case .stats(let stats):
            Self.encode(stats, into: &buffer)
        }
        buffer.setInteger(UInt32(buffer.writerIndex - payloadStart), at: start)
    }

    /// Parses one frame's payload. Every field is checked; trailing bytes are an error.
    public static func decode(
        type rawType: UInt8,
        flags: UInt8,
        payload: inout ByteBuffer
    ) throws(WireDecodingError)
        -> Message
    {
        guard let type = FrameType(rawValue: rawType) else {
            throw WireDecodingError(code: .malformedFrame, "unknown frame type 0x\(String(rawType, radix: 16))")
        }
        var reader = PayloadReader(buffer: payload, frame: type)
        let message: Message
        switch type {
        case .hello:
            let version = try reader.integer(UInt16.self, "protocol_version")
            let agent = try reader.shortString("agent_id")
            let resume = try reader.integer(UInt64.self, "resume_sequence")
            let encodings = try reader.bytes(count: Int(try reader.integer(UInt8.self, "encoding_count")), "encodings")
            let compressions = try reader.bytes(
                count: Int(try reader.integer(UInt8.self, "compression_count")),
                "compressions"
            )
            message = .hello(
                Hello(
                    protocolVersion: version,
                    agentID: agent,
                    resumeSequence: resume,
                    encodings: encodings,
                    compressions: compressions
                )
            )
        case .welcome:
            message = .welcome(
                Welcome(
                    protocolVersion: try reader.integer(UInt16.self, "protocol_version"),
                    sessionID: try reader.integer(UInt64.self, "session_id"),
                    highWaterSequence: try reader.integer(UInt64.self, "high_water_sequence"),
                    initialCredit: try reader.integer(UInt64.self, "initial_credit"),
                    maxFrameBytes: try reader.integer(UInt32.self, "max_frame_bytes"),
                    maxBatchRawBytes: try reader.integer(UInt32.self, "max_batch_raw_bytes"),
                    heartbeatMilliseconds: try reader.integer(UInt32.self, "heartbeat_ms")
                )
            )
        case .batch:
            let sequence = try reader.integer(UInt64.self, "sequence")
            let count = try reader.integer(UInt32.self, "record_count")
            let encoding = try reader.integer(UInt8.self, "encoding")
            let compression = try reader.integer(UInt8.self, "compression")
            let rawLength = try reader.integer(UInt32.self, "raw_length")
            let checksum = try reader.integer(UInt32.self, "checksum")
            message = .batch(
                BatchFrame(
                    sequence: sequence,
                    recordCount: count,
                    encoding: encoding,
                    compression: compression,
                    rawLength: rawLength,
                    checksum: checksum,
                    body: reader.rest()
                )
            )
        case .ack:
            message = .ack(
                Ack(
                    sequence: try reader.integer(UInt64.self, "sequence"),
                    credit: try reader.integer(UInt64.self, "credit"),
                    advisedBytesPerSecond: try reader.integer(UInt64.self, "advised_rate"),
                    adviceFlags: try reader.integer(UInt8.self, "advice_flags")
                )
            )
        case .ping:
            message = .ping(try reader.integer(UInt64.self, "nonce"))
        case .pong:
            message = .pong(try reader.integer(UInt64.self, "nonce"))
        case .goAway:
            message = .goAway(
                GoAway(
                    reason: GoAwayReason(rawValue: try reader.integer(UInt16.self, "reason")),
                    retryAfterMilliseconds: try reader.integer(UInt32.self, "retry_after_ms"),
                    text: try reader.shortString("text")
                )
            )
        case .error:
            let code = WireErrorCode(rawValue: try reader.integer(UInt16.self, "code"))
            let flags = try reader.integer(UInt8.self, "flags")
            message = .error(
                WireError(code: code, retryable: flags & 1 != 0, message: try reader.shortString("message"))
            )
        case .stats:
            message = .stats(try decodeStats(&reader))
        }
        try reader.finish()
        return message
    }

    /// The reference encoder writes at most `Stats.maxSources` sources and `Stats.maxReasons` reasons per source
    /// (the first ones), and the fidelity section only when a source has a ladder: at most `Stats.maxSources`
    /// entries with at least one rung, each with its first `SourceFidelity.maxRungs` rungs and its level kept on
    /// one of them; so it never sends a frame the receiver must refuse.
    private static func encode(_ stats: Stats, into buffer: inout ByteBuffer) {
        buffer.writeInteger(stats.startedAt)
        let sources = stats.sources.prefix(Stats.maxSources)
        buffer.writeInteger(UInt16(sources.count))
        for source in sources {
            buffer.writeShortString(source.source)
            buffer.writeInteger(source.produced)
            buffer.writeInteger(source.acknowledged)
            buffer.writeInteger(source.pending)
            let dropped = source.dropped.prefix(Stats.maxReasons)
            buffer.writeInteger(UInt8(dropped.count))
            for drop in dropped {
                buffer.writeShortString(drop.reason)
                buffer.writeInteger(drop.count)
            }
        }
        // Absent when no source has a ladder, so such a STATS is what collectors before the section accept.
        let fidelity = stats.fidelity.filter { !$0.rungs.isEmpty }.prefix(Stats.maxSources)
        guard !fidelity.isEmpty else { return }
        buffer.writeInteger(UInt16(fidelity.count))
        for entry in fidelity {
            let rungs = entry.rungs.prefix(Stats.SourceFidelity.maxRungs)
            buffer.writeShortString(entry.source)
            buffer.writeInteger(min(entry.level, UInt8(rungs.count - 1)))
            buffer.writeInteger(UInt8(rungs.count))
            for rung in rungs {
                buffer.writeShortString(rung.name)
                buffer.writeInteger(rung.milliseconds)
            }
            buffer.writeInteger(entry.reduced)
        }
    }

    private static func decodeStats(_ reader: inout PayloadReader) throws(WireDecodingError) -> Stats {
        let startedAt = try reader.integer(UInt64.self, "started_at_ns")
        let sourceCount = try reader.count(UInt16.self, "source_count", limit: Stats.maxSources)
        var sources: [Stats.SourceStats] = []
        sources.reserveCapacity(sourceCount)
        for _ in 0..<sourceCount {
            let source = try reader.shortString("source")
            let produced = try reader.integer(UInt64.self, "produced")
            let acknowledged = try reader.integer(UInt64.self, "acknowledged")
            let pending = try reader.integer(UInt64.self, "pending")
            let reasonCount = try reader.count(UInt8.self, "reason_count", limit: Stats.maxReasons)
            var dropped: [Stats.Drop] = []
            dropped.reserveCapacity(reasonCount)
            for _ in 0..<reasonCount {
                let reason = try reader.shortString("reason")
                dropped.append(Stats.Drop(reason: reason, count: try reader.integer(UInt64.self, "count")))
            }
            sources.append(
                Stats.SourceStats(
                    source: source,
                    produced: produced,
                    acknowledged: acknowledged,
                    pending: pending,
                    dropped: dropped
                )
            )
        }
        // The fidelity section is optional: nothing after the sources means no source has a ladder.
        var fidelity: [Stats.SourceFidelity] = []
        if !reader.isAtEnd {
            fidelity = try decodeFidelity(&reader)
        }
        return Stats(startedAt: startedAt, sources: sources, fidelity: fidelity)
    }

    private static func decodeFidelity(
        _ reader: inout PayloadReader
    ) throws(WireDecodingError) -> [Stats.SourceFidelity] {
        let count = try reader.count(UInt16.self, "fidelity_count", limit: Stats.maxSources)
        var fidelity: [Stats.SourceFidelity] = []
        fidelity.reserveCapacity(count)
        for _ in 0..<count {
            let source = try reader.shortString("source")
            let level = try reader.integer(UInt8.self, "level")
            let rungCount = Int(try reader.integer(UInt8.self, "rung_count"))
            guard (1...Stats.SourceFidelity.maxRungs).contains(rungCount) else {
                throw reader.fail("rung_count", "\(rungCount) is outside 1...\(Stats.SourceFidelity.maxRungs)")
            }
            guard Int(level) < rungCount else {
                throw reader.fail("level", "\(level) is not below rung_count \(rungCount)")
            }
            var rungs: [Stats.Rung] = []
            rungs.reserveCapacity(rungCount)
            for _ in 0..<rungCount {
                let name = try reader.shortString("rung")
                rungs.append(Stats.Rung(name: name, milliseconds: try reader.integer(UInt64.self, "ms_at_rung")))
            }
            let reduced = try reader.integer(UInt64.self, "reduced")
            fidelity.append(Stats.SourceFidelity(source: source, level: level, rungs: rungs, reduced: reduced))
        }
        return fidelity
    }
}

/// A frame that could not be decoded; carries the wire error code to answer with.
public struct WireDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: WireErrorCode
    public var message: String

    public init(code: WireErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

/// Reads fields of one payload, naming the field and frame in every error.
private struct PayloadReader {
    var buffer: ByteBuffer
    let frame: FrameType

    func fail(_ field: String, _ problem: String) -> WireDecodingError {
        WireDecodingError(code: .malformedFrame, "\(frame) frame: \(field): \(problem)")
    }

    mutating func integer<T: FixedWidthInteger>(_: T.Type, _ field: String) throws(WireDecodingError) -> T {
        guard let value = buffer.readInteger(as: T.self) else { throw fail(field, "truncated") }
        return value
    }

    /// A count of what follows, at most `limit`.
    mutating func count<T: FixedWidthInteger>(
        _: T.Type,
        _ field: String,
        limit: Int
    ) throws(WireDecodingError) -> Int {
        let count = Int(try integer(T.self, field))
        guard count <= limit else { throw fail(field, "\(count) is above the limit of \(limit)") }
        return count
    }

    mutating func bytes(count: Int, _ field: String) throws(WireDecodingError) -> [UInt8] {
        guard let bytes = buffer.readBytes(length: count) else { throw fail(field, "truncated") }
        return bytes
    }

    mutating func shortString(_ field: String) throws(WireDecodingError) -> String {
        let length = try integer(UInt16.self, field)
        guard let view = buffer.readSlice(length: Int(length)) else { throw fail(field, "truncated") }
        guard let string = String(validating: view.readableBytesView, as: UTF8.self) else {
            throw fail(field, "not valid UTF-8")
        }
        return string
    }

    /// No bytes are left to read.
    var isAtEnd: Bool { buffer.readableBytes == 0 }

    mutating func rest() -> ByteBuffer {
        buffer.readSlice(length: buffer.readableBytes)!
    }

    func finish() throws(WireDecodingError) {
        if buffer.readableBytes != 0 { throw fail("payload", "\(buffer.readableBytes) unexpected trailing bytes") }
    }
}

extension ByteBuffer {
    /// Writes a u16 length and the UTF-8 bytes; text longer than the field allows is cut at a scalar boundary.
    mutating func writeShortString(_ string: String) {
        var text = string
        if text.utf8.count > Int(UInt16.max) {
            // No Unicode scalar is longer than 4 bytes in UTF-8.
            text = String(String.UnicodeScalarView(string.unicodeScalars.prefix(Int(UInt16.max) / 4)))
        }
        writeInteger(UInt16(text.utf8.count))
        writeString(text)
    }
}
