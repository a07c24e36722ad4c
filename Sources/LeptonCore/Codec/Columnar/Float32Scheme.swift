import NIOCore

/// Number scheme 2, `float32`: every value is a widened `Float`, so only its 32-bit pattern is stored, in the
/// smaller of two modes.
///
/// ```
/// u8  mode
/// mode 0, xor:    the 32-bit XOR stream of the patterns (see XORScheme)
/// mode 1, delta:  varint k[0]                    (≤ 0xFFFF_FFFF)
///                 when count > 1, with d[j] = k[j] − k[j−1] (j = 1..<count):
///                   zigzag varint m              min d[j]
///                   u8 width w                   0...64 (the encoder needs at most 33)
///                   bit stream                   count − 1 fields of w bits: d[j] − m
/// ```
///
/// The key `k = p ^ 0xFFFF_FFFF` when p's sign bit is set, else `p ^ 0x8000_0000`, orders the Floats as unsigned
/// integers, so the deltas of a noisy reading stay small across zero. The decoder rejects a key outside
/// 0...0xFFFF_FFFF. Mode 1 is what beats Gorilla on Float noise: its width follows the spread of the changes,
/// where the XOR stream pays for every bit below the highest one that changed.
///
/// The pattern of a value is `Float(v).bitPattern`, and decodes by `Double(Float(bitPattern:))`, except for NaNs,
/// which are narrowed and widened by moving bits so that the payload and the signalling bit survive on every
/// platform: double `s | 0x7FF << 52 | f << 29` ↔ float `s | 0xFF << 23 | f` (f: 23 bits, not 0). A double NaN
/// with any of its low 29 bits set is not a widened Float.
enum Float32Scheme {
    /// What the encoder found, with the column's size before it is written.
    struct Plan {
        fileprivate var patterns: [UInt32]
        /// The XOR stream, when it is the smaller mode.
        fileprivate var stream: BitWriter?
        fileprivate var minimumDelta: Int64
        fileprivate var width: Int
        /// Bytes of the column, the scheme byte included.
        var byteCount: Int
    }

    /// The plan for the smaller mode, or nil when some value is not a widened Float.
    static func plan(_ values: UnsafeBufferPointer<Double>) -> Plan? {
        var patterns: [UInt32] = []
        patterns.reserveCapacity(values.count)
        for value in values {
            guard let narrow = pattern(value) else { return nil }
            patterns.append(narrow)
        }
        var chosen = patterns.withUnsafeBufferPointer { Self.plan(patterns: $0) }
        chosen.patterns = patterns
        return chosen
    }

    private static func plan(patterns: UnsafeBufferPointer<UInt32>) -> Plan {
        let count = patterns.count
        var low = Int64.max
        var high = Int64.min
        var previous = Int64(key(patterns[0]))
        for index in 1..<count {
            let current = Int64(key(patterns[index]))
            low = Swift.min(low, current - previous)
            high = Swift.max(high, current - previous)
            previous = current
        }
        var plan = Plan(patterns: [], stream: nil, minimumDelta: 0, width: 0, byteCount: 0)
        plan.byteCount = 2 + ColumnarCodec.varIntLength(UInt64(key(patterns[0])))
        if count > 1 {
            plan.minimumDelta = low
            plan.width = ColumnarCodec.bitWidth(UInt64(bitPattern: high - low))
            plan.byteCount +=
                ColumnarCodec.varIntLength(ColumnarCodec.zigZag(low)) + 1 + ((count - 1) * plan.width + 7) / 8
        }
        let stream = XORScheme.encode32(patterns)
        if 2 + stream.byteCount < plan.byteCount {
            plan.stream = stream
            plan.byteCount = 2 + stream.byteCount
        }
        return plan
    }

    /// Writes the column after its scheme byte.
    static func encode(_ plan: Plan, into buffer: inout ByteBuffer) {
        if let stream = plan.stream {
            buffer.writeInteger(UInt8(0))
            stream.write(to: &buffer)
            return
        }
        buffer.writeInteger(UInt8(1))
        let patterns = plan.patterns
        buffer.writeVarInt(UInt64(key(patterns[0])))
        guard patterns.count > 1 else { return }
        buffer.writeZigZag(plan.minimumDelta)
        buffer.writeInteger(UInt8(plan.width))
        var writer = BitWriter(reservingBits: (patterns.count - 1) * plan.width)
        var previous = Int64(key(patterns[0]))
        for index in 1..<patterns.count {
            let current = Int64(key(patterns[index]))
            writer.write(UInt64(bitPattern: current - previous - plan.minimumDelta), bits: plan.width)
            previous = current
        }
        writer.write(to: &buffer)
    }

    /// Reads the column after its scheme byte.
    static func decode(count: Int, from buffer: inout ByteBuffer) throws(ColumnarDecodingError) -> [Double] {
        let mode = try ColumnarCodec.readByte(&buffer, "numbers (float32): mode")
        switch mode {
        case 0:
            return try XORScheme.decode32(count: count, from: &buffer).map(double(float32Pattern:))
        case 1:
            let first = try ColumnarCodec.readVarInt(&buffer, "numbers (float32 delta): first")
            guard first <= UInt32.max else {
                throw ColumnarDecodingError("numbers (float32 delta): first key too large")
            }
            var current = Int64(first)
            guard count > 1 else { return [double(float32Pattern: unkey(UInt32(first)))] }
            let minimum = try ColumnarCodec.readZigZag(&buffer, "numbers (float32 delta): minimum delta")
            let width = try ColumnarCodec.readWidth(&buffer, "numbers (float32 delta): width")
            try ColumnarCodec.requireBits((count - 1) * width, in: buffer, "numbers (float32 delta): deltas")
            var result: [Double] = []
            result.reserveCapacity(count)
            result.append(double(float32Pattern: unkey(UInt32(first))))
            var reader = BitReader(buffer)
            for _ in 1..<count {
                guard let field = reader.read(width) else {
                    throw ColumnarDecodingError("numbers (float32 delta): truncated")
                }
                current = current &+ minimum &+ Int64(bitPattern: field)
                guard let key = UInt32(exactly: current) else {
                    throw ColumnarDecodingError("numbers (float32 delta): key out of range")
                }
                result.append(double(float32Pattern: unkey(key)))
            }
            try ColumnarCodec.finish(reader, &buffer, "numbers (float32 delta): deltas")
            return result
        default:
            throw ColumnarDecodingError("numbers (float32): unknown mode \(mode)")
        }
    }

    // MARK: Patterns

    /// The `Float` bit pattern that widens back to exactly `value`, or nil.
    @inline(__always)
    static func pattern(_ value: Double) -> UInt32? {
        if value.isNaN {
            let bits = value.bitPattern
            guard bits & 0x1FFF_FFFF == 0 else { return nil }
            return UInt32(truncatingIfNeeded: bits >> 63) << 31 | 0x7F80_0000
                | UInt32(truncatingIfNeeded: bits >> 29) & 0x7F_FFFF
        }
        let narrow = Float(value)
        guard Double(narrow).bitPattern == value.bitPattern else { return nil }
        return narrow.bitPattern
    }

    /// The double a `Float` bit pattern stands for (NaNs widened bit by bit).
    @inline(__always)
    static func double(float32Pattern bits: UInt32) -> Double {
        if bits & 0x7F80_0000 == 0x7F80_0000 && bits & 0x7F_FFFF != 0 {
            return Double(
                bitPattern: UInt64(bits >> 31) << 63 | 0x7FF0_0000_0000_0000 | UInt64(bits & 0x7F_FFFF) << 29
            )
        }
        return Double(Float(bitPattern: bits))
    }

    /// Orders Float patterns as unsigned integers: negatives reversed below the positives.
    @inline(__always)
    static func key(_ pattern: UInt32) -> UInt32 {
        pattern & 0x8000_0000 != 0 ? ~pattern : pattern ^ 0x8000_0000
    }

    @inline(__always)
    static func unkey(_ key: UInt32) -> UInt32 {
        key & 0x8000_0000 != 0 ? key ^ 0x8000_0000 : ~key
    }
}
