import NIOCore

/// Gorilla XOR streams (Pelkonen et al., 2015) over bit patterns: of the doubles for number scheme 3 (`xor`), the
/// whole column after the scheme byte; of the Floats for number scheme 2 (`float32`) mode 0. One bit stream:
///
/// ```
/// B = 64 (xor) or 32 (float32); L = 6 or 5 bits for the header fields
/// B bits        p[0], the first pattern
/// for j = 1..<count, x = p[j] ^ p[j−1]:
///   bit 0                         x == 0: same pattern as before
///   bit 1, bit 0, n bits          x fits the current window (lz, n): field = x >> (B − lz − n)
///   bit 1, bit 1, L bits lz, L bits n − 1, n bits
///                                 new window: lz = leading zero bits of x, n = B − lz − trailing zero bits of
///                                 x; field = x >> (B − lz − n)
/// ```
///
/// "Fits" means x has at least the window's leading and trailing zero bits. There is no window before the first
/// `1 1` record (a `1 0` then is an error), and the decoder rejects lz + n > B.
enum XORScheme {
    // MARK: 64-bit

    static func encode64(_ values: UnsafeBufferPointer<Double>) -> BitWriter {
        var writer = BitWriter(reservingBits: 64 + values.count * 24)
        var previous = values[0].bitPattern
        writer.write(previous, bits: 64)
        // No window yet: leading 64 and trailing 64 fit no non-zero XOR.
        var leading = 64
        var trailing = 64
        for index in 1..<values.count {
            let bits = values[index].bitPattern
            let xor = bits ^ previous
            previous = bits
            if xor == 0 {
                writer.write(0, bits: 1)
                continue
            }
            let lz = xor.leadingZeroBitCount
            let tz = xor.trailingZeroBitCount
            if lz >= leading && tz >= trailing {
                writer.write(0b01, bits: 2)  // 1, then 0
                writer.write(xor &>> UInt64(trailing), bits: 64 - leading - trailing)
            } else {
                let length = 64 - lz - tz
                writer.write(0b11 | UInt64(lz) << 2 | UInt64(length - 1) << 8, bits: 14)
                writer.write(xor &>> UInt64(tz), bits: length)
                leading = lz
                trailing = tz
            }
        }
        return writer
    }

    static func decode64(count: Int, from buffer: inout ByteBuffer) throws(ColumnarDecodingError) -> [Double] {
        try ColumnarCodec.requireBits(64 + count - 1, in: buffer, "numbers (xor)")
        var reader = BitReader(buffer)
        guard var current = reader.read(64) else { throw ColumnarDecodingError("numbers (xor): truncated") }
        var result: [Double] = []
        result.reserveCapacity(count)
        result.append(Double(bitPattern: current))
        var leading = -1  // no window yet
        var length = 0
        for _ in 1..<count {
            guard let changed = reader.read(1) else { throw ColumnarDecodingError("numbers (xor): truncated") }
            if changed == 1 {
                guard let newWindow = reader.read(1) else { throw ColumnarDecodingError("numbers (xor): truncated") }
                if newWindow == 1 {
                    guard let header = reader.read(12) else { throw ColumnarDecodingError("numbers (xor): truncated") }
                    leading = Int(header & 63)
                    length = Int(header >> 6) + 1
                    guard leading + length <= 64 else {
                        throw ColumnarDecodingError("numbers (xor): window \(leading) + \(length) is over 64 bits")
                    }
                } else if leading < 0 {
                    throw ColumnarDecodingError("numbers (xor): window reused before one was set")
                }
                guard let field = reader.read(length) else { throw ColumnarDecodingError("numbers (xor): truncated") }
                current ^= field << (64 - leading - length)
            }
            result.append(Double(bitPattern: current))
        }
        try ColumnarCodec.finish(reader, &buffer, "numbers (xor)")
        return result
    }

    // MARK: 32-bit

    static func encode32(_ patterns: UnsafeBufferPointer<UInt32>) -> BitWriter {
        var writer = BitWriter(reservingBits: 32 + patterns.count * 16)
        var previous = patterns[0]
        writer.write(UInt64(previous), bits: 32)
        var leading = 32
        var trailing = 32
        for index in 1..<patterns.count {
            let bits = patterns[index]
            let xor = bits ^ previous
            previous = bits
            if xor == 0 {
                writer.write(0, bits: 1)
                continue
            }
            let lz = xor.leadingZeroBitCount
            let tz = xor.trailingZeroBitCount
            if lz >= leading && tz >= trailing {
                writer.write(0b01, bits: 2)  // 1, then 0
                writer.write(UInt64(xor &>> UInt32(trailing)), bits: 32 - leading - trailing)
            } else {
                let length = 32 - lz - tz
                writer.write(0b11 | UInt64(lz) << 2 | UInt64(length - 1) << 7, bits: 12)
                writer.write(UInt64(xor &>> UInt32(tz)), bits: length)
                leading = lz
                trailing = tz
            }
        }
        return writer
    }

    static func decode32(count: Int, from buffer: inout ByteBuffer) throws(ColumnarDecodingError) -> [UInt32] {
        try ColumnarCodec.requireBits(32 + count - 1, in: buffer, "numbers (float32 xor)")
        var reader = BitReader(buffer)
        guard let firstField = reader.read(32) else { throw ColumnarDecodingError("numbers (float32 xor): truncated") }
        var current = UInt32(truncatingIfNeeded: firstField)
        var result: [UInt32] = []
        result.reserveCapacity(count)
        result.append(current)
        var leading = -1  // no window yet
        var length = 0
        for _ in 1..<count {
            guard let changed = reader.read(1) else { throw ColumnarDecodingError("numbers (float32 xor): truncated") }
            if changed == 1 {
                guard let newWindow = reader.read(1) else {
                    throw ColumnarDecodingError("numbers (float32 xor): truncated")
                }
                if newWindow == 1 {
                    guard let header = reader.read(10) else {
                        throw ColumnarDecodingError("numbers (float32 xor): truncated")
                    }
                    leading = Int(header & 31)
                    length = Int(header >> 5) + 1
                    guard leading + length <= 32 else {
                        throw ColumnarDecodingError(
                            "numbers (float32 xor): window \(leading) + \(length) is over 32 bits"
                        )
                    }
                } else if leading < 0 {
                    throw ColumnarDecodingError("numbers (float32 xor): window reused before one was set")
                }
                guard let field = reader.read(length) else {
                    throw ColumnarDecodingError("numbers (float32 xor): truncated")
                }
                current ^= UInt32(truncatingIfNeeded: field << (32 - leading - length))
            }
            result.append(current)
        }
        try ColumnarCodec.finish(reader, &buffer, "numbers (float32 xor)")
        return result
    }
}
