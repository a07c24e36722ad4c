import NIOCore

/// Batch encoding `columnar v1`: the records of each stream stored as columns, so that numeric sensor streams
/// cost a byte or two per sample before zlib (see ``ColumnarCodec`` for the column layouts).
///
/// ```
/// varint stream_count
/// per stream, in order of first appearance in the batch:
///   varint key length, UTF-8 series key (name and tags, see SeriesKey)
///   varint n                 records of this stream (≥ 1), in batch order
///   u8 kinds                 0: all numbers, 1: all texts, 2: mixed
///   [kinds == 2] ceil(n/8) bytes, bit i (LSB first) set when record i is a text
///   timestamps column (n values)
///   numbers column (m values, the numeric records in order)   when m > 0
///   texts column (n − m values, the text records in order)    when n − m > 0
/// ```
///
/// The sum of `n` over the streams is the frame's record count. Decoding yields each stream's records in order,
/// stream after stream (order across streams within one batch is not kept: the store orders by time).
enum ColumnarBatchBody {
    static func encode(_ records: [Record], into body: inout ByteBuffer) {
        let numbered = FirstAppearance(records.lazy.map(\.series))
        var groups = [[Record]](repeating: [], count: numbered.distinct.count)
        for (record, index) in zip(records, numbered.indices) {
            groups[index].append(record)
        }
        body.writeVarInt(UInt64(groups.count))
        for (series, members) in zip(numbered.distinct, groups) {
            body.writeLengthPrefixedString(series.text)
            body.writeVarInt(UInt64(members.count))
            var numbers: [Double] = []
            var texts: [String] = []
            var isText = [Bool]()
            isText.reserveCapacity(members.count)
            for record in members {
                switch record.value {
                case .number(let value):
                    numbers.append(value)
                    isText.append(false)
                case .text(let text):
                    texts.append(text)
                    isText.append(true)
                }
            }
            if texts.isEmpty {
                body.writeInteger(UInt8(0))
            } else if numbers.isEmpty {
                body.writeInteger(UInt8(1))
            } else {
                body.writeInteger(UInt8(2))
                var bitmap = [UInt8](repeating: 0, count: (members.count + 7) / 8)
                for (position, text) in isText.enumerated() where text {
                    bitmap[position / 8] |= 1 << UInt8(position % 8)
                }
                body.writeBytes(bitmap)
            }
            ColumnarCodec.encodeTimestamps(members.map(\.timestamp), into: &body)
            if !numbers.isEmpty { ColumnarCodec.encodeNumbers(numbers, into: &body) }
            if !texts.isEmpty { ColumnarCodec.encodeTexts(texts, into: &body) }
        }
    }

    /// - Parameter budget: bytes the decoded records may take as `row v1` would carry them (texts are counted in
    ///   full each time a dictionary entry is used), so a small body cannot fan out into huge decoded batches.
    static func decode(_ body: inout ByteBuffer, expectedCount: Int, budget: Int) throws(BatchDecodingError) -> [Record]
    {
        guard let streamCount = body.readVarInt(), streamCount <= body.readableBytes else {
            throw BatchDecodingError("columnar: bad stream count")
        }
        var records: [Record] = []
        records.reserveCapacity(min(expectedCount, 1 << 16))
        var spent = 0
        for stream in 0..<Int(streamCount) {
            let series = try body.readSeriesKey("stream \(stream) name")
            guard let count = body.readVarInt(), count >= 1, count <= expectedCount - records.count,
                count <= ColumnarCodec.maximumCount
            else {
                throw BatchDecodingError("stream \(stream): record count does not fit the frame's \(expectedCount)")
            }
            let n = Int(count)
            guard let kinds = body.readInteger(as: UInt8.self), kinds <= 2 else {
                throw BatchDecodingError("stream \(stream): bad kinds byte")
            }
            var isText: [Bool]
            switch kinds {
            case 0: isText = [Bool](repeating: false, count: n)
            case 1: isText = [Bool](repeating: true, count: n)
            default:
                guard let bitmap = body.readBytes(length: (n + 7) / 8) else {
                    throw BatchDecodingError("stream \(stream): truncated kinds bitmap")
                }
                isText = (0..<n).map { bitmap[$0 / 8] & (1 << UInt8($0 % 8)) != 0 }
            }
            let textCount = isText.reduce(0) { $0 + ($1 ? 1 : 0) }
            do {
                let timestamps = try ColumnarCodec.decodeTimestamps(count: n, from: &body)
                let numbers = n > textCount ? try ColumnarCodec.decodeNumbers(count: n - textCount, from: &body) : []
                let texts = textCount > 0 ? try ColumnarCodec.decodeTexts(count: textCount, from: &body) : []
                guard timestamps.count == n, numbers.count == n - textCount, texts.count == textCount else {
                    throw BatchDecodingError("stream \(stream): a column has the wrong length")
                }
                // What the same records would cost as rows: 17 bytes of framing each, plus their texts.
                spent += n * 17 + texts.reduce(0) { $0 + $1.utf8.count }
                guard spent <= budget else {
                    throw BatchDecodingError("stream \(stream): decoded records exceed \(budget) bytes")
                }
                var nextNumber = 0
                var nextText = 0
                for position in 0..<n {
                    let value: Record.Value
                    if isText[position] {
                        value = .text(texts[nextText])
                        nextText += 1
                    } else {
                        value = .number(numbers[nextNumber])
                        nextNumber += 1
                    }
                    records.append(
                        Record(stream: series.stream, tags: series.tags, timestamp: timestamps[position], value: value)
                    )
                }
            } catch {
                throw BatchDecodingError("stream \(stream) (\(series.text)): \(error)")
            }
        }
        guard records.count == expectedCount else {
            throw BatchDecodingError("columnar: \(records.count) records, the frame declares \(expectedCount)")
        }
        guard body.readableBytes == 0 else {
            throw BatchDecodingError("\(body.readableBytes) trailing bytes after the last stream")
        }
        return records
    }
}
