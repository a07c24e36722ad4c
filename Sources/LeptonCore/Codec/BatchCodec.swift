import CompressNIO
import NIOCore

/// Encodes records into BATCH frames and back (layout `row v1`, see `docs/wire-protocol.md`).
///
/// Body: `varint stream_count`, each stream `varint len, utf8 name`; `varint record_count`, each record
/// `varint stream_index, u8 kind, zigzag varint timestamp delta, value` where kind 0 is an IEEE-754 double
/// (8 bytes, big-endian bit pattern) and kind 1 a string (`varint len, utf8`).
public enum BatchCodec {
    /// Encodes `records` as batch `sequence`, compressing with zlib at `level` (1 fastest … 9 smallest) when asked.
    public static func encode(
        _ records: [Record],
        sequence: UInt64,
        compression: BatchCompression = .zlib,
        level: ZlibConfiguration.CompressionLevel = .fastestCompression,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws -> Message.BatchFrame {
        var streams: [String: Int] = [:]
        var order: [String] = []
        for record in records where streams[record.stream] == nil {
            streams[record.stream] = order.count
            order.append(record.stream)
        }
        var body = allocator.buffer(capacity: records.reduce(16) { $0 + $1.estimatedEncodedSize })
        body.writeVarInt(UInt64(order.count))
        for name in order {
            body.writeVarInt(UInt64(name.utf8.count))
            body.writeString(name)
        }
        body.writeVarInt(UInt64(records.count))
        var previous: Int64 = 0
        for record in records {
            body.writeVarInt(UInt64(streams[record.stream]!))
            switch record.value {
            case .number(let value):
                body.writeInteger(UInt8(0))
                body.writeZigZag(record.timestamp &- previous)
                body.writeInteger(value.bitPattern)
            case .text(let text):
                body.writeInteger(UInt8(1))
                body.writeZigZag(record.timestamp &- previous)
                body.writeVarInt(UInt64(text.utf8.count))
                body.writeString(text)
            }
            previous = record.timestamp
        }
        let rawLength = body.readableBytes
        let wire: ByteBuffer
        switch compression {
        case .none:
            wire = body
        case .zlib:
            wire = try body.compress(
                with: .zlib,
                configuration: ZlibConfiguration(compressionLevel: level),
                allocator: allocator
            )
        }
        let checksum = wire.withUnsafeReadableBytes { CRC32C.checksum($0) }
        return Message.BatchFrame(
            sequence: sequence,
            recordCount: UInt32(records.count),
            encoding: BatchEncoding.rowV1.rawValue,
            compression: compression.rawValue,
            rawLength: UInt32(rawLength),
            checksum: checksum,
            body: wire
        )
    }

    /// Checks and decodes a batch: checksum, compression, declared raw length (at most `maxRawBytes`, the guard
    /// against decompression bombs), record count, and every field.
    public static func decode(_ batch: Message.BatchFrame, maxRawBytes: Int) throws(BatchDecodingError) -> [Record] {
        let checksum = batch.body.withUnsafeReadableBytes { CRC32C.checksum($0) }
        guard checksum == batch.checksum else {
            throw BatchDecodingError("checksum mismatch: frame says \(batch.checksum), body has \(checksum)")
        }
        guard Int(batch.rawLength) <= maxRawBytes else {
            throw BatchDecodingError("raw length \(batch.rawLength) is above the limit of \(maxRawBytes) bytes")
        }
        guard batch.encoding == BatchEncoding.rowV1.rawValue else {
            throw BatchDecodingError("unknown batch encoding \(batch.encoding)")
        }
        var body: ByteBuffer
        switch BatchCompression(rawValue: batch.compression) {
        case .none?:
            body = batch.body
        case .zlib?:
            var compressed = batch.body
            body = ByteBufferAllocator().buffer(capacity: Int(batch.rawLength))
            do {
                try compressed.decompress(to: &body, with: .zlib)
            } catch {
                throw BatchDecodingError(
                    "zlib body does not inflate to the declared \(batch.rawLength) bytes: \(error)"
                )
            }
        case nil:
            throw BatchDecodingError("unknown compression \(batch.compression)")
        }
        guard body.readableBytes == Int(batch.rawLength) else {
            throw BatchDecodingError("body is \(body.readableBytes) bytes, frame declares \(batch.rawLength)")
        }
        return try decodeBody(&body, expectedCount: Int(batch.recordCount))
    }

    private static func decodeBody(
        _ body: inout ByteBuffer,
        expectedCount: Int
    ) throws(BatchDecodingError)
        -> [Record]
    {
        guard let streamCount = body.readVarInt(), streamCount <= body.readableBytes else {
            throw BatchDecodingError("stream table: bad count")
        }
        var streams: [String] = []
        streams.reserveCapacity(Int(streamCount))
        for index in 0..<Int(streamCount) {
            streams.append(try readString(&body, "stream \(index) name"))
        }
        guard let recordCount = body.readVarInt(), recordCount == expectedCount else {
            throw BatchDecodingError("record count does not match the frame's \(expectedCount)")
        }
        guard recordCount <= body.readableBytes / 3 else {
            throw BatchDecodingError("record count \(recordCount) cannot fit in \(body.readableBytes) bytes")
        }
        var records: [Record] = []
        records.reserveCapacity(Int(recordCount))
        var timestamp: Int64 = 0
        for index in 0..<Int(recordCount) {
            guard let streamIndex = body.readVarInt(), streamIndex < streams.count else {
                throw BatchDecodingError("record \(index): bad stream index")
            }
            guard let kind = body.readInteger(as: UInt8.self), let delta = body.readZigZag() else {
                throw BatchDecodingError("record \(index): truncated")
            }
            timestamp = timestamp &+ delta
            let value: Record.Value
            switch kind {
            case 0:
                guard let bits = body.readInteger(as: UInt64.self) else {
                    throw BatchDecodingError("record \(index): truncated number")
                }
                value = .number(Double(bitPattern: bits))
            case 1:
                value = .text(try readString(&body, "record \(index) text"))
            default:
                throw BatchDecodingError("record \(index): unknown kind \(kind)")
            }
            records.append(Record(stream: streams[Int(streamIndex)], timestamp: timestamp, value: value))
        }
        guard body.readableBytes == 0 else {
            throw BatchDecodingError("\(body.readableBytes) trailing bytes after the last record")
        }
        return records
    }

    private static func readString(_ body: inout ByteBuffer, _ what: String) throws(BatchDecodingError) -> String {
        guard let length = body.readVarInt(), length <= body.readableBytes,
            let slice = body.readSlice(length: Int(length))
        else { throw BatchDecodingError("\(what): truncated") }
        guard let string = String(validating: slice.readableBytesView, as: UTF8.self) else {
            throw BatchDecodingError("\(what): not valid UTF-8")
        }
        return string
    }
}

/// A batch that failed its checks; answered with an `invalid_batch` ERROR.
public struct BatchDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
