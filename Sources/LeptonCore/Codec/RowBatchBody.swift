import NIOCore

/// Batch encoding `row v1`: `varint stream_count`, each stream `varint len, utf8 series key` (``SeriesKey``); `varint record_count`,
/// each record `varint stream_index, u8 kind, zigzag varint timestamp delta, value` where kind 0 is an IEEE-754
/// double (8 bytes, big-endian bit pattern) and kind 1 a string (`varint len, utf8`). Records keep batch order.
enum RowBatchBody {
    static func encode(_ records: [Record], into body: inout ByteBuffer) {
        let streams = FirstAppearance(records.lazy.map(\.series))
        body.writeVarInt(UInt64(streams.distinct.count))
        for series in streams.distinct {
            body.writeLengthPrefixedString(series.text)
        }
        body.writeVarInt(UInt64(records.count))
        var previous: Int64 = 0
        for (record, index) in zip(records, streams.indices) {
            body.writeVarInt(UInt64(index))
            switch record.value {
            case .number(let value):
                body.writeInteger(UInt8(0))
                body.writeZigZag(record.timestamp &- previous)
                body.writeInteger(value.bitPattern)
            case .text(let text):
                body.writeInteger(UInt8(1))
                body.writeZigZag(record.timestamp &- previous)
                body.writeLengthPrefixedString(text)
            }
            previous = record.timestamp
        }
    }

    static func decode(
        _ body: inout ByteBuffer,
        expectedCount: Int
    ) throws(BatchDecodingError)
        -> [Record]
    {
        guard let streamCount = body.readVarInt(), streamCount <= body.readableBytes else {
            throw BatchDecodingError("stream table: bad count")
        }
        var streams: [SeriesKey] = []
        streams.reserveCapacity(Int(streamCount))
        for index in 0..<Int(streamCount) {
            streams.append(try body.readSeriesKey("stream \(index) name"))
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
                value = .text(try body.readLengthPrefixedString("record \(index) text"))
            default:
                throw BatchDecodingError("record \(index): unknown kind \(kind)")
            }
            let series = streams[Int(streamIndex)]
            records.append(Record(stream: series.stream, tags: series.tags, timestamp: timestamp, value: value))
        }
        guard body.readableBytes == 0 else {
            throw BatchDecodingError("\(body.readableBytes) trailing bytes after the last record")
        }
        return records
    }
}

extension ByteBuffer {
    /// `varint length, UTF-8 bytes`.
    mutating func writeLengthPrefixedString(_ string: String) {
        writeVarInt(UInt64(string.utf8.count))
        writeString(string)
    }

    /// Reads `varint length, UTF-8 bytes`, naming `what` in the error.
    mutating func readLengthPrefixedString(_ what: String) throws(BatchDecodingError) -> String {
        guard let length = readVarInt(), length <= readableBytes, let slice = readSlice(length: Int(length)) else {
            throw BatchDecodingError("\(what): truncated")
        }
        guard let string = String(validating: slice.readableBytesView, as: UTF8.self) else {
            throw BatchDecodingError("\(what): not valid UTF-8")
        }
        return string
    }

    /// A length-prefixed ``SeriesKey``.
    mutating func readSeriesKey(_ what: String) throws(BatchDecodingError) -> SeriesKey {
        let text = try readLengthPrefixedString(what)
        do {
            return try SeriesKey(parsing: text)
        } catch {
            throw BatchDecodingError("\(what): \(error)")
        }
    }
}
