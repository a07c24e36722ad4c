/// A reference Gorilla encoder (Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory Time Series Database",
/// VLDB 2015, section 4.1), written for the comparison; its decoder checks it.
///
/// Timestamps: delta-of-delta in the coarsest unit (s, ms, µs or ns) that divides every timestamp of the
/// batch, which favours Gorilla (the paper uses seconds), with the paper's buckets: `0` for 0, `10` + 7 bits for
/// −63…64, `110` + 9 bits for −255…256, `1110` + 12 bits for −2047…2048, `1111` + 32 bits otherwise (64 bits in
/// a batch where some delta-of-delta does not fit 32). Header: 2 bits unit, 1 bit wide, 64 bits first
/// timestamp; the first delta is coded as a delta-of-delta against 0.
///
/// Values: the first as 64 bits; then the XOR with the previous value: `0` when zero; `10` + the meaningful
/// bits when they fall inside the previous window; else `11` + 5 bits leading zeros (at most 31) + 6 bits
/// length − 1 + the meaningful bits.
enum Gorilla {
    struct Encoded {
        var words: [UInt64]
        var timestampBits: Int
        var valueBits: Int
        var totalBits: Int { timestampBits + valueBits }
    }

    private static let units: [Int64] = [1_000_000_000, 1_000_000, 1000, 1]

    static func encode(timestamps: [Int64], values: [Double]) -> Encoded {
        precondition(timestamps.count == values.count && !timestamps.isEmpty)
        var writer = BitWriter()
        let unitIndex = units.firstIndex { unit in timestamps.allSatisfy { $0 % unit == 0 } } ?? units.count - 1
        let scaled = timestamps.map { $0 / units[unitIndex] }
        var dods: [Int64] = []
        dods.reserveCapacity(scaled.count)
        var previousDelta: Int64 = 0
        for index in 1..<max(1, scaled.count) {
            let delta = scaled[index] &- scaled[index - 1]
            dods.append(delta &- previousDelta)
            previousDelta = delta
        }
        let wide = dods.contains { Int64(Int32(truncatingIfNeeded: $0)) != $0 }
        writer.write(UInt64(unitIndex), bits: 2)
        writer.write(wide ? 1 : 0, bits: 1)
        writer.write(UInt64(bitPattern: scaled[0]), bits: 64)
        for dod in dods {
            writeDeltaOfDelta(dod, wide: wide, into: &writer)
        }
        let timestampBits = writer.bitCount

        var previous = values[0].bitPattern
        writer.write(previous, bits: 64)
        var windowLeading = -1
        var windowTrailing = 0
        for value in values.dropFirst() {
            let xor = value.bitPattern ^ previous
            previous = value.bitPattern
            if xor == 0 {
                writer.write(0, bits: 1)
                continue
            }
            let leading = min(31, xor.leadingZeroBitCount)
            let trailing = xor.trailingZeroBitCount
            if windowLeading >= 0 && leading >= windowLeading && trailing >= windowTrailing {
                writer.write(0b10, bits: 2)
                writer.write(xor >> UInt64(windowTrailing), bits: 64 - windowLeading - windowTrailing)
            } else {
                let length = 64 - leading - trailing
                writer.write(0b11, bits: 2)
                writer.write(UInt64(leading), bits: 5)
                writer.write(UInt64(length - 1), bits: 6)
                writer.write(xor >> UInt64(trailing), bits: length)
                windowLeading = leading
                windowTrailing = trailing
            }
        }
        return Encoded(
            words: writer.finished(),
            timestampBits: timestampBits,
            valueBits: writer.bitCount - timestampBits
        )
    }

    /// Decodes `count` points; nil when the bits run out or a field is impossible.
    static func decode(_ words: [UInt64], count: Int) -> (timestamps: [Int64], values: [Double])? {
        var reader = BitReader(words)
        guard count > 0, let unitIndex = reader.read(bits: 2), let wide = reader.read(bits: 1),
            let first = reader.read(bits: 64)
        else { return nil }
        let unit = units[Int(unitIndex)]
        var timestamps = [Int64(bitPattern: first) &* unit]
        var previous = Int64(bitPattern: first)
        var delta: Int64 = 0
        for _ in 1..<max(1, count) {
            guard let dod = readDeltaOfDelta(&reader, wide: wide == 1) else { return nil }
            delta &+= dod
            previous &+= delta
            timestamps.append(previous &* unit)
        }

        guard var bits = reader.read(bits: 64) else { return nil }
        var values = [Double(bitPattern: bits)]
        var windowLeading = -1
        var windowLength = 0
        for _ in 1..<max(1, count) {
            guard let control = reader.read(bits: 1) else { return nil }
            if control == 1 {
                guard let newWindow = reader.read(bits: 1) else { return nil }
                if newWindow == 1 {
                    guard let leading = reader.read(bits: 5), let length = reader.read(bits: 6) else { return nil }
                    windowLeading = Int(leading)
                    windowLength = Int(length) + 1
                    guard windowLeading + windowLength <= 64 else { return nil }
                } else if windowLeading < 0 {
                    return nil
                }
                guard let meaningful = reader.read(bits: windowLength) else { return nil }
                bits ^= meaningful << UInt64(64 - windowLeading - windowLength)
            }
            values.append(Double(bitPattern: bits))
        }
        return (timestamps, values)
    }

    private static func writeDeltaOfDelta(_ dod: Int64, wide: Bool, into writer: inout BitWriter) {
        switch dod {
        case 0:
            writer.write(0, bits: 1)
        case -63...64:
            writer.write(0b10, bits: 2)
            writer.write(UInt64(dod + 63), bits: 7)
        case -255...256:
            writer.write(0b110, bits: 3)
            writer.write(UInt64(dod + 255), bits: 9)
        case -2047...2048:
            writer.write(0b1110, bits: 4)
            writer.write(UInt64(dod + 2047), bits: 12)
        default:
            writer.write(0b1111, bits: 4)
            writer.write(UInt64(bitPattern: dod), bits: wide ? 64 : 32)
        }
    }

    private static func readDeltaOfDelta(_ reader: inout BitReader, wide: Bool) -> Int64? {
        var ones = 0
        while ones < 4 {
            guard let bit = reader.read(bits: 1) else { return nil }
            if bit == 0 { break }
            ones += 1
        }
        switch ones {
        case 0: return 0
        case 1: return reader.read(bits: 7).map { Int64($0) - 63 }
        case 2: return reader.read(bits: 9).map { Int64($0) - 255 }
        case 3: return reader.read(bits: 12).map { Int64($0) - 2047 }
        default:
            if wide { return reader.read(bits: 64).map { Int64(bitPattern: $0) } }
            return reader.read(bits: 32).map { Int64(Int32(truncatingIfNeeded: $0)) }
        }
    }
}
