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
    static func encode64(_ values: UnsafeBufferPointer<Double>) -> BitWriter {
        encode(count: values.count) { values[$0].bitPattern }
    }

    static func decode64(count: Int, from buffer: inout ByteBuffer) throws(ColumnarDecodingError) -> [Double] {
        try decode(UInt64.self, count: count, from: &buffer, "numbers (xor)").map(Double.init(bitPattern:))
    }

    static func encode32(_ patterns: UnsafeBufferPointer<UInt32>) -> BitWriter {
        encode(count: patterns.count) { patterns[$0] }
    }

    static func decode32(count: Int, from buffer: inout ByteBuffer) throws(ColumnarDecodingError) -> [UInt32] {
        try decode(UInt32.self, count: count, from: &buffer, "numbers (float32 xor)")
    }

    /// The stream of `count` (≥ 1) patterns of B = `P.bitWidth` bits; header fields of L = log2(B) bits.
    private static func encode<P: FixedWidthInteger & UnsignedInteger>(count: Int, pattern: (Int) -> P) -> BitWriter {
        let width = P.bitWidth
        let fieldBits = width.trailingZeroBitCount
        var writer = BitWriter(reservingBits: width + count * (width / 4 + 8))
        var previous = pattern(0)
        writer.write(UInt64(previous), bits: width)
        // No window yet: leading B and trailing B fit no non-zero XOR.
        var leading = width
        var trailing = width
        for index in 1..<count {
            let bits = pattern(index)
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
                writer.write(UInt64(xor &>> P(trailing)), bits: width - leading - trailing)
            } else {
                let length = width - lz - tz
                writer.write(0b11 | UInt64(lz) << 2 | UInt64(length - 1) << (2 + fieldBits), bits: 2 + 2 * fieldBits)
                writer.write(UInt64(xor &>> P(tz)), bits: length)
                leading = lz
                trailing = tz
            }
        }
        return writer
    }

    private static func decode<P: FixedWidthInteger & UnsignedInteger>(
        _: P.Type,
        count: Int,
        from buffer: inout ByteBuffer,
        _ what: String
    ) throws(ColumnarDecodingError) -> [P] {
        let width = P.bitWidth
        let fieldBits = width.trailingZeroBitCount
        try ColumnarCodec.requireBits(width + count - 1, in: buffer, what)
        var reader = BitReader(buffer)
        guard let first = reader.read(width) else { throw ColumnarDecodingError("\(what): truncated") }
        var current = P(truncatingIfNeeded: first)
        var result: [P] = []
        result.reserveCapacity(count)
        result.append(current)
        var leading = -1  // no window yet
        var length = 0
        for _ in 1..<count {
            guard let changed = reader.read(1) else { throw ColumnarDecodingError("\(what): truncated") }
            if changed == 1 {
                guard let newWindow = reader.read(1) else { throw ColumnarDecodingError("\(what): truncated") }
                if newWindow == 1 {
                    guard let header = reader.read(2 * fieldBits) else {
                        throw ColumnarDecodingError("\(what): truncated")
                    }
                    leading = Int(header & (1 << fieldBits - 1))
                    length = Int(header >> fieldBits) + 1
                    guard leading + length <= width else {
                        throw ColumnarDecodingError("\(what): window \(leading) + \(length) is over \(width) bits")
                    }
                } else if leading < 0 {
                    throw ColumnarDecodingError("\(what): window reused before one was set")
                }
                guard let field = reader.read(length) else { throw ColumnarDecodingError("\(what): truncated") }
                current ^= P(truncatingIfNeeded: field << (width - leading - length))
            }
            result.append(current)
        }
        try ColumnarCodec.finish(reader, &buffer, what)
        return result
    }
}
