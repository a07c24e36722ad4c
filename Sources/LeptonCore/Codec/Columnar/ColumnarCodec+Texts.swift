import NIOCore

// Texts column: `count` strings, byte-exact.
//
// ```
// varint      d            distinct strings, 1 ≤ d ≤ count
// d × { varint length, length bytes of UTF-8 }
//                          the distinct strings in order of first appearance; distinct as bytes, so canonically
//                          equivalent spellings ("é" and "e" + U+0301) are separate entries
// u8          width w      bits for d − 1: 0 when d = 1 (must be exactly that)
// bit stream  count fields of w bits: each value's index in the dictionary (< d)
// ```
extension ColumnarCodec {
    /// Appends the texts column of one stream.
    public static func encodeTexts(_ values: [String], into buffer: inout ByteBuffer) {
        guard !values.isEmpty else { return }
        let numbered = FirstAppearance(values.lazy.map(UTF8Key.init(string:)))
        let dictionary = numbered.distinct.map(\.string)
        buffer.writeVarInt(UInt64(dictionary.count))
        for entry in dictionary {
            buffer.writeVarInt(UInt64(entry.utf8.count))
            buffer.writeString(entry)
        }
        let width = bitWidth(UInt64(dictionary.count - 1))
        buffer.writeInteger(UInt8(width))
        var writer = BitWriter(reservingBits: values.count * width)
        for index in numbered.indices { writer.write(UInt64(index), bits: width) }
        writer.write(to: &buffer)
    }

    /// Reads a texts column of `count` values.
    public static func decodeTexts(count: Int, from buffer: inout ByteBuffer) throws(ColumnarDecodingError) -> [String]
    {
        try checkCount(count, "texts")
        guard count > 0 else { return [] }
        let size = try readVarInt(&buffer, "texts: dictionary size")
        guard size >= 1, size <= count, size <= buffer.readableBytes else {
            throw ColumnarDecodingError("texts: dictionary of \(size) strings cannot fit")
        }
        var dictionary: [String] = []
        dictionary.reserveCapacity(Int(size))
        for _ in 0..<Int(size) {
            let length = try readVarInt(&buffer, "texts: string length")
            guard length <= buffer.readableBytes, let bytes = buffer.readSlice(length: Int(length)) else {
                throw ColumnarDecodingError("texts: truncated string")
            }
            guard let string = String(validating: bytes.readableBytesView, as: UTF8.self) else {
                throw ColumnarDecodingError("texts: string is not valid UTF-8")
            }
            dictionary.append(string)
        }
        let width = try readWidth(&buffer, "texts: width")
        guard width == bitWidth(size - 1) else {
            throw ColumnarDecodingError("texts: width \(width) for a dictionary of \(size)")
        }
        try requireBits(count * width, in: buffer, "texts: indices")
        var reader = BitReader(buffer)
        var result: [String] = []
        result.reserveCapacity(count)
        for _ in 0..<count {
            guard let index = reader.read(width), index < size else {
                throw ColumnarDecodingError("texts: index out of the dictionary")
            }
            result.append(dictionary[Int(index)])
        }
        try finish(reader, &buffer, "texts: indices")
        return result
    }
}

/// A string compared and hashed by its UTF-8 bytes. `String`'s own `==` holds for canonically equivalent strings
/// ("é" and "e\u{301}"), which the dictionary must keep apart to give back the exact bytes.
private struct UTF8Key: Hashable {
    var string: String

    static func == (lhs: UTF8Key, rhs: UTF8Key) -> Bool {
        lhs.string.hasSameUTF8(as: rhs.string)
    }

    func hash(into hasher: inout Hasher) {
        string.hashUTF8(into: &hasher)
    }
}
