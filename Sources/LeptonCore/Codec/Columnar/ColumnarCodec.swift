import NIOCore

/// Column codecs for one stream of a batch (batch encoding 2): timestamps, doubles and strings, each appended to
/// a `ByteBuffer` with no length or count of its own. The caller stores the count (the batch knows how many records
/// each stream has) and decodes the columns in the order it wrote them; a decoder consumes exactly its column.
///
/// Conventions shared by the layouts (each file documents its own):
/// - `u8` is one byte; `u64` eight bytes, big-endian; `varint` unsigned LEB128 of at most 10 bytes; `zigzag varint`
///   a signed value mapped to unsigned by `(v << 1) ^ (v >> 63)`, then written as a varint.
/// - A *bit stream* fills bytes from the least significant bit up: its first bit is bit 0 (value 0x01) of its first
///   byte. A field of `w` bits is written least significant bit first, so a field that starts on a byte boundary
///   reads as a little-endian integer. A bit stream ends on the next byte boundary, padded with zero bits (decoders
///   reject other padding). "`n` fields of `w` bits" take exactly `ceil(n * w / 8)` bytes.
/// - An empty column (`count` 0) writes nothing and reads nothing.
/// - Decoders check every count, width and length against the bytes left before allocating, reject `count` above
///   `maximumCount`, use wrapping arithmetic, and throw `ColumnarDecodingError` on malformed input.
public enum ColumnarCodec {
    /// The most values a decoder accepts in one column. Some layouts spend no bits per value (a constant column, a
    /// perfectly regular clock), so the bytes alone cannot bound the output; this does.
    static let maximumCount = 1 << 22
}

extension ColumnarCodec {
    @inline(__always)
    static func zigZag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    @inline(__always)
    static func unZigZag(_ raw: UInt64) -> Int64 {
        Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// Bits needed to hold `value`: 0 for 0, 64 for values with the top bit set.
    @inline(__always)
    static func bitWidth(_ value: UInt64) -> Int {
        64 - value.leadingZeroBitCount
    }

    /// Bytes of `value` as a varint.
    @inline(__always)
    static func varIntLength(_ value: UInt64) -> Int {
        Swift.max(1, (bitWidth(value) + 6) / 7)
    }

    // MARK: Reading fields, throwing on malformed input

    static func checkCount(_ count: Int, _ column: String) throws(ColumnarDecodingError) {
        guard count >= 0 else { throw ColumnarDecodingError("\(column): negative count \(count)") }
        guard count <= maximumCount else {
            throw ColumnarDecodingError("\(column): count \(count) is above the limit of \(maximumCount)")
        }
    }

    static func readByte(_ buffer: inout ByteBuffer, _ field: String) throws(ColumnarDecodingError) -> UInt8 {
        guard let byte = buffer.readInteger(as: UInt8.self) else { throw ColumnarDecodingError("\(field): truncated") }
        return byte
    }

    /// A `u8` bit width, at most 64.
    static func readWidth(_ buffer: inout ByteBuffer, _ field: String) throws(ColumnarDecodingError) -> Int {
        let width = try readByte(&buffer, field)
        guard width <= 64 else { throw ColumnarDecodingError("\(field): width \(width) is above 64") }
        return Int(width)
    }

    static func readVarInt(_ buffer: inout ByteBuffer, _ field: String) throws(ColumnarDecodingError) -> UInt64 {
        guard let value = buffer.readVarInt() else { throw ColumnarDecodingError("\(field): truncated or overlong") }
        return value
    }

    static func readZigZag(_ buffer: inout ByteBuffer, _ field: String) throws(ColumnarDecodingError) -> Int64 {
        guard let value = buffer.readZigZag() else { throw ColumnarDecodingError("\(field): truncated or overlong") }
        return value
    }

    /// Throws unless `buffer` holds at least `bits` more bits (`bits` ≤ 65 · `maximumCount`, so no overflow).
    static func requireBits(_ bits: Int, in buffer: ByteBuffer, _ field: String) throws(ColumnarDecodingError) {
        let bytes = (bits + 7) / 8
        guard bytes <= buffer.readableBytes else {
            throw ColumnarDecodingError("\(field): needs \(bytes) bytes, \(buffer.readableBytes) left")
        }
    }

    /// Checks the padding of a finished bit stream and consumes its bytes.
    static func finish(
        _ reader: BitReader,
        _ buffer: inout ByteBuffer,
        _ field: String
    ) throws(ColumnarDecodingError) {
        guard reader.paddingIsZero else { throw ColumnarDecodingError("\(field): padding bits are not zero") }
        buffer.moveReaderIndex(forwardBy: reader.consumedBytes)
    }
}
