import NIOCore

/// Number scheme 1, `decimal` (after ALP, Afroozeh, Kuffó and Boncz, 2023): values that are integers divided by a
/// power of ten, stored as those integers' deltas.
///
/// ```
/// u8             e            0...18
/// zigzag varint  i[0]
/// when count > 1, with d[j] = i[j] − i[j−1] (j = 1..<count):
///   zigzag varint  m          min d[j]
///   u8             width w    0...64
///   bit stream     count − 1 fields of w bits: d[j] − m, in order
/// ```
///
/// Decoding: `i[j] = i[j−1] &+ m &+ field[j]` (wrapping), `value[j] = Double(i[j]) / 10^e`: an IEEE-754 division
/// rounded to nearest-even, 10^e being exact in a Double. The encoder uses the scheme only when, for the smallest
/// such e, every value v has `i = round(v · 10^e)` with |i| < 2⁵¹ and `Double(i) / 10^e` bit-identical to v; so
/// −0.0, NaN, ±inf and values with more than 18 decimals never take it.
enum DecimalScheme {
    /// 10^0 ... 10^18, all exact.
    static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
    ]
    static let maximumExponent = 18

    /// What the encoder found: enough to write the column and to know its size first.
    struct Plan {
        var exponent: Int
        var first: Int64
        var minimumDelta: Int64
        var width: Int
        /// Bytes of the column, the scheme byte included.
        var byteCount: Int
    }

    /// The plan for the smallest exponent that fits every value, or nil when there is none. Values are sampled to
    /// find a first exponent, then all are checked; a value that needs more raises the exponent and restarts, so
    /// the exponent only grows and at most 19 passes run (usually one).
    static func plan(_ values: UnsafeBufferPointer<Double>) -> Plan? {
        var exponent = 0
        let stride = Swift.max(1, values.count / 32)
        var index = 0
        while index < values.count {
            guard let fitting = smallestExponent(values[index], from: exponent) else { return nil }
            exponent = fitting
            index += stride
        }
        while true {
            switch verify(values, exponent: exponent) {
            case .fits(let first, let low, let high):
                let count = values.count
                var plan = Plan(exponent: exponent, first: first, minimumDelta: 0, width: 0, byteCount: 0)
                plan.byteCount = 2 + ColumnarCodec.varIntLength(ColumnarCodec.zigZag(first))
                if count > 1 {
                    plan.minimumDelta = low
                    plan.width = ColumnarCodec.bitWidth(UInt64(bitPattern: high &- low))
                    plan.byteCount +=
                        ColumnarCodec.varIntLength(ColumnarCodec.zigZag(low)) + 1 + ((count - 1) * plan.width + 7) / 8
                }
                return plan
            case .fails(let index):
                // The smallest common exponent is above this one; this value's own smallest is a lower bound too.
                guard exponent < maximumExponent,
                    let fitting = smallestExponent(values[index], from: exponent + 1)
                else { return nil }
                exponent = fitting
            }
        }
    }

    /// Writes the column after its scheme byte.
    static func encode(_ values: UnsafeBufferPointer<Double>, plan: Plan, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(plan.exponent))
        buffer.writeZigZag(plan.first)
        guard values.count > 1 else { return }
        buffer.writeZigZag(plan.minimumDelta)
        buffer.writeInteger(UInt8(plan.width))
        let scale = powersOfTen[plan.exponent]
        let width = plan.width
        let minimum = plan.minimumDelta
        var writer = BitWriter(reservingBits: (values.count - 1) * width)
        var previous = plan.first
        for index in 1..<values.count {
            // Verified by `plan`: in range, and the same integer it found.
            let current = Int64(roundToInteger(values[index] * scale))
            writer.write(UInt64(bitPattern: current &- previous &- minimum), bits: width)
            previous = current
        }
        writer.write(to: &buffer)
    }

    /// Reads the column after its scheme byte.
    static func decode(count: Int, from buffer: inout ByteBuffer) throws(ColumnarDecodingError) -> [Double] {
        let exponent = try Int(ColumnarCodec.readByte(&buffer, "numbers (decimal): exponent"))
        guard exponent <= maximumExponent else {
            throw ColumnarDecodingError("numbers (decimal): exponent \(exponent) is above \(maximumExponent)")
        }
        let scale = powersOfTen[exponent]
        var current = try ColumnarCodec.readZigZag(&buffer, "numbers (decimal): first")
        guard count > 1 else { return [Double(current) / scale] }
        let minimum = try ColumnarCodec.readZigZag(&buffer, "numbers (decimal): minimum delta")
        let width = try ColumnarCodec.readWidth(&buffer, "numbers (decimal): width")
        try ColumnarCodec.requireBits((count - 1) * width, in: buffer, "numbers (decimal): deltas")
        var result: [Double] = []
        result.reserveCapacity(count)
        result.append(Double(current) / scale)
        var reader = BitReader(buffer)
        for _ in 1..<count {
            guard let field = reader.read(width) else { throw ColumnarDecodingError("numbers (decimal): truncated") }
            current = current &+ minimum &+ Int64(bitPattern: field)
            result.append(Double(current) / scale)
        }
        try ColumnarCodec.finish(reader, &buffer, "numbers (decimal): deltas")
        return result
    }

    // MARK: Detection

    private enum Verification {
        case fits(first: Int64, lowDelta: Int64, highDelta: Int64)
        case fails(index: Int)
    }

    private static func verify(_ values: UnsafeBufferPointer<Double>, exponent: Int) -> Verification {
        let scale = powersOfTen[exponent]
        guard let first = integer(values[0], scale: scale) else { return .fails(index: 0) }
        var previous = first
        var low = Int64.max
        var high = Int64.min
        for index in 1..<values.count {
            guard let current = integer(values[index], scale: scale) else { return .fails(index: index) }
            let delta = current - previous  // |integers| < 2⁵¹: no overflow
            low = Swift.min(low, delta)
            high = Swift.max(high, delta)
            previous = current
        }
        return .fits(first: first, lowDelta: low, highDelta: high)
    }

    /// The smallest exponent from `start` up that makes `value` a decimal integer.
    private static func smallestExponent(_ value: Double, from start: Int) -> Int? {
        var exponent = start
        while exponent <= maximumExponent {
            if integer(value, scale: powersOfTen[exponent]) != nil { return exponent }
            exponent += 1
        }
        return nil
    }

    /// `round(value · scale)` when it is below 2⁵¹ in magnitude and divides back to exactly `value`.
    @inline(__always)
    private static func integer(_ value: Double, scale: Double) -> Int64? {
        let scaled = value * scale
        guard scaled.magnitude < 0x1p51 else { return nil }  // false for NaN too
        let integer = Int64(roundToInteger(scaled))
        guard (Double(integer) / scale).bitPattern == value.bitPattern else { return nil }
        return integer
    }

    /// Rounds to the nearest integer, ties to even, for |x| < 2⁵¹: adding 1.5 · 2⁵² leaves no fraction bits.
    @inline(__always)
    private static func roundToInteger(_ x: Double) -> Double {
        (x + 0x1.8p52) - 0x1.8p52
    }
}
