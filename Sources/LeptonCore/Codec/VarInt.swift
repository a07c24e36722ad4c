import NIOCore

extension ByteBuffer {
    /// Writes an unsigned LEB128 varint.
    @inlinable
    public mutating func writeVarInt(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        writeInteger(UInt8(value))
    }

    /// Writes a signed value as a zigzag LEB128 varint.
    @inlinable
    public mutating func writeZigZag(_ value: Int64) {
        writeVarInt(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Reads an unsigned LEB128 varint of at most 10 bytes; nil when truncated or overlong.
    @inlinable
    public mutating func readVarInt() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var index = readerIndex
        while shift < 64 {
            guard let byte = getInteger(at: index, as: UInt8.self) else { return nil }
            index += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                if shift == 63 && byte > 1 { return nil }
                moveReaderIndex(to: index)
                return result
            }
            shift += 7
        }
        return nil
    }

    /// Reads a zigzag LEB128 varint.
    @inlinable
    public mutating func readZigZag() -> Int64? {
        guard let raw = readVarInt() else { return nil }
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }
}
