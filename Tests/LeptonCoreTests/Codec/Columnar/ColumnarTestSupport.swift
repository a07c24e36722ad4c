import LeptonTestSupport
import NIOCore
import Testing

@testable import LeptonCore

/// Encodes a column, appends a marker, decodes: every round trip also checks that the decoder reads exactly its
/// column and leaves what follows.
enum ColumnarRoundTrip {
    static let marker: UInt32 = 0xC0FF_EE42

    static func numbers(_ values: [Double]) throws -> (decoded: [Double], scheme: NumberScheme, bytes: Int) {
        var buffer = ByteBuffer()
        let scheme = ColumnarCodec.encodeNumbers(values, into: &buffer)
        let bytes = buffer.readableBytes
        buffer.writeInteger(marker)
        let decoded = try ColumnarCodec.decodeNumbers(count: values.count, from: &buffer)
        #expect(buffer.readInteger(as: UInt32.self) == marker, "numbers decoder did not stop at its column's end")
        return (decoded, scheme, bytes)
    }

    static func timestamps(_ values: [Int64]) throws -> (decoded: [Int64], bytes: Int) {
        var buffer = ByteBuffer()
        ColumnarCodec.encodeTimestamps(values, into: &buffer)
        let bytes = buffer.readableBytes
        buffer.writeInteger(marker)
        let decoded = try ColumnarCodec.decodeTimestamps(count: values.count, from: &buffer)
        #expect(buffer.readInteger(as: UInt32.self) == marker, "timestamps decoder did not stop at its column's end")
        return (decoded, bytes)
    }

    static func texts(_ values: [String]) throws -> (decoded: [String], bytes: Int) {
        var buffer = ByteBuffer()
        ColumnarCodec.encodeTexts(values, into: &buffer)
        let bytes = buffer.readableBytes
        buffer.writeInteger(marker)
        let decoded = try ColumnarCodec.decodeTexts(count: values.count, from: &buffer)
        #expect(buffer.readInteger(as: UInt32.self) == marker, "texts decoder did not stop at its column's end")
        return (decoded, bytes)
    }
}

/// Doubles that have broken codecs before: NaN payloads, signed zeros, infinities, subnormals, extremes.
enum NumberSamples {
    static let adversarial: [Double] = [
        0.0, -0.0, .infinity, -.infinity, .nan, -.nan, .signalingNaN,
        Double(bitPattern: 0x7FF0_0000_0000_0001),  // signalling NaN, payload in the low bits only
        Double(bitPattern: 0x7FF4_0000_0000_0000),  // signalling NaN whose payload fits a Float
        Double(bitPattern: 0xFFF8_0000_DEAD_BEEF),  // negative quiet NaN with a payload
        Double(bitPattern: 0x7FF8_0000_2000_0000),  // quiet NaN, payload in Float's range
        Double(bitPattern: 0x7FFF_FFFF_FFFF_FFFF),
        Double(bitPattern: 0xFFFF_FFFF_E000_0000),
        .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
        Double(bitPattern: 0x000F_FFFF_FFFF_FFFF),  // largest subnormal
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .ulpOfOne,
        1.0, -1.0, 0.1, 0.3, 21.5, -21.5, 1e-300, 1e300, 1e-18, 1.5e-18, 123_456_789.123,
        Double(Float.leastNonzeroMagnitude), Double(Float.greatestFiniteMagnitude), Double(Float.ulpOfOne),
        Double(Float(0.1)), Double(Int64.max), Double(Int64.min), 0x1p51, 0x1p51 - 1, -0x1p51, 0x1p52 + 2, 0x1p53,
    ]

    /// A column of one of several shapes, chosen by `kind`.
    static func random(kind: Int, count: Int, using generator: inout SplitMix64) -> [Double] {
        switch kind % 9 {
        case 0:  // decimal random walk
            let exponent = Int.random(in: 0...6, using: &generator)
            let scale = DecimalScheme.powersOfTen[exponent]
            let step = Int64.random(in: 0...1000, using: &generator)
            var integer = Int64.random(in: -1_000_000...1_000_000, using: &generator)
            return (0..<count).map { _ in
                integer += Int64.random(in: -step...step, using: &generator)
                return Double(integer) / scale
            }
        case 1:  // float32 noise
            let base = Float.random(in: -1000...1000, using: &generator)
            return (0..<count).map { _ in Double(base + Float.random(in: -1...1, using: &generator)) }
        case 2:  // constant, sometimes an awkward one
            let value = adversarial.randomElement(using: &generator)!
            return [Double](repeating: value, count: count)
        case 3:  // double random walk
            var value = Double.random(in: -100...100, using: &generator)
            return (0..<count).map { _ in
                value += Double.random(in: -0.01...0.01, using: &generator)
                return value
            }
        case 4:  // any bit pattern
            return (0..<count).map { _ in Double(bitPattern: generator.next()) }
        case 5:  // any of the adversarial values
            return (0..<count).map { _ in adversarial.randomElement(using: &generator)! }
        case 6:  // runs that suit different schemes
            var values: [Double] = []
            while values.count < count {
                let run = Int.random(in: 1...50, using: &generator)
                let kind = Int.random(in: 0...5, using: &generator)
                values += random(kind: kind, count: Swift.min(run, count - values.count), using: &generator)
            }
            return values
        case 7:  // decimal, with one adversarial value somewhere
            var values = random(kind: 0, count: count, using: &generator)
            if !values.isEmpty {
                values[Int.random(in: 0..<count, using: &generator)] = adversarial.randomElement(using: &generator)!
            }
            return values
        default:  // float32 values with Float NaNs and infinities mixed in
            return (0..<count).map { _ -> Double in
                switch Int.random(in: 0..<10, using: &generator) {
                case 0: Double(bitPattern: 0x7FF4_0000_0000_0000 | generator.next() & 0x0003_FFFF_E000_0000)
                case 1: -Double.infinity
                default: Double(Float(bitPattern: UInt32(truncatingIfNeeded: generator.next())))
                }
            }
        }
    }
}

/// Bit patterns, so that NaNs compare by payload.
func bitPatterns(_ values: [Double]) -> [UInt64] { values.map(\.bitPattern) }
