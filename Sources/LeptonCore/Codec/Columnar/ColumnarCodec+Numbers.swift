import NIOCore

// Numbers column: `count` doubles, bit-exact (NaN payloads, ±0, ±inf, subnormals).
//
// ```
// u8  scheme (NumberScheme)
// 0 constant  u64 the bit pattern shared by every value
// 1 decimal   see DecimalScheme
// 2 float32   see Float32Scheme
// 3 xor       see XORScheme (64-bit stream)
// 4 raw       count × u64 bit pattern
// ```
//
// Encoder choices (not part of the format): constant whenever every bit pattern is equal; else decimal when it
// applies with deltas of at most 20 bits and is no larger than raw; else the smallest of decimal (size computed,
// not written), float32 when every value is a widened Float (the smaller of its two modes) or else the 64-bit XOR
// stream (written to scratch), and raw. Ties go to the earlier scheme in that list, so a column is never larger
// than 1 + 8 · count bytes.
extension ColumnarCodec {
    /// Decimal columns with deltas this narrow are written without trying the other schemes (speed: they are rarely
    /// smaller).
    private static let decimalWidthWithoutTrials = 20

    /// Appends the numbers column of one stream and returns the scheme it chose (`.raw`, writing nothing, for no
    /// values).
    @discardableResult
    public static func encodeNumbers(_ values: [Double], into buffer: inout ByteBuffer) -> NumberScheme {
        guard !values.isEmpty else { return .raw }
        return values.withUnsafeBufferPointer { encodeNonEmptyNumbers($0, into: &buffer) }
    }

    /// Reads a numbers column of `count` values.
    public static func decodeNumbers(
        count: Int,
        from buffer: inout ByteBuffer
    ) throws(ColumnarDecodingError) -> [Double] {
        try checkCount(count, "numbers")
        guard count > 0 else { return [] }
        let tag = try readByte(&buffer, "numbers: scheme")
        switch NumberScheme(rawValue: tag) {
        case .constant?:
            guard let bits = buffer.readInteger(as: UInt64.self) else {
                throw ColumnarDecodingError("numbers (constant): truncated")
            }
            return [Double](repeating: Double(bitPattern: bits), count: count)
        case .decimal?:
            return try DecimalScheme.decode(count: count, from: &buffer)
        case .float32?:
            return try Float32Scheme.decode(count: count, from: &buffer)
        case .xor?:
            return try XORScheme.decode64(count: count, from: &buffer)
        case .raw?:
            guard count <= buffer.readableBytes / 8 else {
                throw ColumnarDecodingError("numbers (raw): \(count) values need \(count * 8) bytes")
            }
            var result: [Double] = []
            result.reserveCapacity(count)
            for _ in 0..<count {
                result.append(Double(bitPattern: buffer.readInteger(as: UInt64.self) ?? 0))
            }
            return result
        case nil:
            throw ColumnarDecodingError("numbers: unknown scheme \(tag)")
        }
    }

    private static func encodeNonEmptyNumbers(
        _ values: UnsafeBufferPointer<Double>,
        into buffer: inout ByteBuffer
    ) -> NumberScheme {
        let first = values[0].bitPattern
        var constant = true
        for value in values where value.bitPattern != first {
            constant = false
            break
        }
        if constant {
            buffer.writeInteger(NumberScheme.constant.rawValue)
            buffer.writeInteger(first)
            return .constant
        }

        var best = (scheme: NumberScheme.raw, byteCount: 1 + 8 * values.count)
        let decimal = DecimalScheme.plan(values)
        if let decimal {
            if decimal.width <= decimalWidthWithoutTrials && decimal.byteCount <= best.byteCount {
                buffer.writeInteger(NumberScheme.decimal.rawValue)
                DecimalScheme.encode(values, plan: decimal, into: &buffer)
                return .decimal
            }
            if decimal.byteCount < best.byteCount { best = (scheme: .decimal, byteCount: decimal.byteCount) }
        }
        var stream: BitWriter?
        let float32 = Float32Scheme.plan(values)
        if let float32 {
            if float32.byteCount < best.byteCount { best = (scheme: .float32, byteCount: float32.byteCount) }
        } else {
            let xor = XORScheme.encode64(values)
            if 1 + xor.byteCount < best.byteCount {
                best = (scheme: .xor, byteCount: 1 + xor.byteCount)
                stream = xor
            }
        }

        buffer.writeInteger(best.scheme.rawValue)
        switch best.scheme {
        case .decimal:
            if let decimal { DecimalScheme.encode(values, plan: decimal, into: &buffer) }
        case .float32:
            if let float32 { Float32Scheme.encode(float32, into: &buffer) }
        case .xor:
            stream?.write(to: &buffer)
        case .raw, .constant:
            for value in values { buffer.writeInteger(value.bitPattern) }
        }
        return best.scheme
    }
}
