import NIOCore

// Timestamps column: `count` signed 64-bit values (nanoseconds since the epoch, in any order).
//
// ```
// zigzag varint  t[0]
// when count > 1, with delta[i] = t[i] − t[i−1] (wrapping, i = 1..<count):
//   varint         unit         ≥ 1: GCD of |delta[i]| (1 when every delta is 0)
//   zigzag varint  period       the typical delta / unit
//   u8             width w      0...64
//   varint         k            exceptions, ≤ count − 1
//   k × { varint gap, varint value }
//                  exception j sits at residual index x[j] = x[j−1] + 1 + gap (x[−1] = −1), x[j] < count − 1;
//                  value is the residual's full zigzag code
//   bit stream     count − 1 fields of w bits: the zigzag code of residual[i] = delta[i] / unit − period for
//                  i = 1..<count, in order; an exception's field is written 0 and ignored by the decoder
// ```
//
// Decoding: `q = unzigzag(code) &+ period`, `delta = q &* unit`, `t[i] = t[i−1] &+ delta`, all wrapping, so every
// Int64 sequence round-trips. A clock that ticks every 15 or 16 ms (unit 1 ms) has residuals −1 and 0: one bit a
// sample, in a stream whose regular pattern zlib then removes.
//
// Encoder choices (not part of the format): the period is the upper median of up to 64 sampled quotients, or one
// more than it, whichever costs less; the width minimises `(count − 1) · w` plus the estimated bytes of the
// exceptions (a patched frame of reference: one long gap does not widen every field).
extension ColumnarCodec {
    /// Appends the timestamps column of one stream.
    public static func encodeTimestamps(_ timestamps: [Int64], into buffer: inout ByteBuffer) {
        guard let first = timestamps.first else { return }
        buffer.writeZigZag(first)
        guard timestamps.count > 1 else { return }
        timestamps.withUnsafeBufferPointer { encodeDeltas(of: $0, into: &buffer) }
    }

    /// Reads a timestamps column of `count` values.
    public static func decodeTimestamps(
        count: Int,
        from buffer: inout ByteBuffer
    ) throws(ColumnarDecodingError) -> [Int64] {
        try checkCount(count, "timestamps")
        guard count > 0 else { return [] }
        let first = try readZigZag(&buffer, "timestamps: first")
        guard count > 1 else { return [first] }
        let unit = try readVarInt(&buffer, "timestamps: unit")
        guard unit > 0 else { throw ColumnarDecodingError("timestamps: unit is 0") }
        let period = try readZigZag(&buffer, "timestamps: period")
        let width = try readWidth(&buffer, "timestamps: width")
        let residuals = count - 1
        let exceptionCount = try readVarInt(&buffer, "timestamps: exception count")
        guard exceptionCount <= residuals, exceptionCount <= buffer.readableBytes / 2 else {
            throw ColumnarDecodingError("timestamps: \(exceptionCount) exceptions cannot fit")
        }
        var exceptionIndices: [Int] = []
        var exceptionCodes: [UInt64] = []
        exceptionIndices.reserveCapacity(Int(exceptionCount))
        exceptionCodes.reserveCapacity(Int(exceptionCount))
        var previous = -1
        for _ in 0..<Int(exceptionCount) {
            let gap = try readVarInt(&buffer, "timestamps: exception index")
            guard gap < residuals - previous - 1 else {
                throw ColumnarDecodingError("timestamps: exception index out of range")
            }
            previous += 1 + Int(gap)
            let code = try readVarInt(&buffer, "timestamps: exception value")
            exceptionIndices.append(previous)
            exceptionCodes.append(code)
        }
        try requireBits(residuals * width, in: buffer, "timestamps: residuals")

        var reader = BitReader(buffer)
        var result: [Int64] = []
        result.reserveCapacity(count)
        result.append(first)
        var current = first
        let step = Int64(bitPattern: unit)
        var nextException = 0
        for index in 0..<residuals {
            guard var code = reader.read(width) else { throw ColumnarDecodingError("timestamps: truncated residuals") }
            if nextException < exceptionIndices.count && exceptionIndices[nextException] == index {
                code = exceptionCodes[nextException]
                nextException += 1
            }
            current = current &+ (unZigZag(code) &+ period) &* step
            result.append(current)
        }
        try finish(reader, &buffer, "timestamps: residuals")
        return result
    }

    private static func encodeDeltas(of timestamps: UnsafeBufferPointer<Int64>, into buffer: inout ByteBuffer) {
        let unit = deltaUnit(timestamps)
        let residuals = timestamps.count - 1
        let base = samplePeriod(timestamps, unit)
        let upper = base &+ 1

        // How many residuals need each width, around `base` (0...64) and around `upper` (65...129).
        var histogram = [Int](repeating: 0, count: 130)
        histogram.withUnsafeMutableBufferPointer { counts in
            for index in 1..<timestamps.count {
                let quotient = unit.quotient(timestamps[index] &- timestamps[index - 1])
                counts[bitWidth(zigZag(quotient &- base))] += 1
                counts[65 + bitWidth(zigZag(quotient &- upper))] += 1
            }
        }
        let around = bestWidth(histogram, offset: 0, residuals: residuals)
        let aroundUpper = bestWidth(histogram, offset: 65, residuals: residuals)
        let period = aroundUpper.cost < around.cost ? upper : base
        let width = aroundUpper.cost < around.cost ? aroundUpper.width : around.width

        var writer = BitWriter(reservingBits: residuals * width)
        var exceptions: [(index: Int, code: UInt64)] = []
        for index in 1..<timestamps.count {
            let code = zigZag(unit.quotient(timestamps[index] &- timestamps[index - 1]) &- period)
            if code >> width == 0 {
                writer.write(code, bits: width)
            } else {
                exceptions.append((index - 1, code))
                writer.write(0, bits: width)
            }
        }
        buffer.writeVarInt(unit.divisor)
        buffer.writeZigZag(period)
        buffer.writeInteger(UInt8(width))
        buffer.writeVarInt(UInt64(exceptions.count))
        var previous = -1
        for exception in exceptions {
            buffer.writeVarInt(UInt64(exception.index - previous - 1))
            buffer.writeVarInt(exception.code)
            previous = exception.index
        }
        writer.write(to: &buffer)
    }

    /// The GCD of the deltas' magnitudes (1 when all are 0), found with one multiplication per delta.
    private static func deltaUnit(_ timestamps: UnsafeBufferPointer<Int64>) -> ExactDivisor {
        var gcd: UInt64 = 0
        var divisor = ExactDivisor(1)
        for index in 1..<timestamps.count {
            let magnitude = (timestamps[index] &- timestamps[index - 1]).magnitude
            if magnitude == 0 || (gcd != 0 && divisor.divides(magnitude)) { continue }
            var (a, b) = (magnitude, gcd)
            while b != 0 { (a, b) = (b, a % b) }
            gcd = a
            divisor = ExactDivisor(gcd)
            if gcd == 1 { break }
        }
        return gcd == 0 ? ExactDivisor(1) : divisor
    }

    /// The upper median of up to 64 evenly spaced delta quotients: robust to outliers, and for a clock alternating
    /// between two ticks it is the more frequent one.
    private static func samplePeriod(_ timestamps: UnsafeBufferPointer<Int64>, _ unit: ExactDivisor) -> Int64 {
        let residuals = timestamps.count - 1
        let size = Swift.min(residuals, 64)
        var sample: [Int64] = []
        sample.reserveCapacity(size)
        for position in 0..<size {
            let index = 1 + position * residuals / size
            sample.append(unit.quotient(timestamps[index] &- timestamps[index - 1]))
        }
        sample.sort()
        return sample[size / 2]
    }

    /// The field width that minimises the packed bits plus the estimated bits of the exceptions it leaves.
    private static func bestWidth(_ histogram: [Int], offset: Int, residuals: Int) -> (width: Int, cost: Int) {
        let indexBits = 8 * varIntLength(UInt64(residuals))
        var best = (width: 64, cost: residuals * 64)
        var exceptionBits = 0
        var width = 64
        while width > 0 {
            // Residuals exactly `width` bits wide become exceptions for every narrower field.
            exceptionBits += histogram[offset + width] * (indexBits + 8 * ((width + 6) / 7))
            width -= 1
            let cost = residuals * width + exceptionBits
            if cost < best.cost { best = (width: width, cost: cost) }
        }
        return best
    }
}
