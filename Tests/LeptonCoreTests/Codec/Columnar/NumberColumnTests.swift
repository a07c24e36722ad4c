import LeptonTestSupport
import NIOCore
import Testing

@testable import LeptonCore

@Suite struct NumberColumnTests {
    @Test func randomColumnsRoundTripBitExact() throws {
        for seed in 0..<200 {
            var generator = SplitMix64(seed: UInt64(seed))
            let count = seed < 10 ? seed : Int.random(in: 0...2000, using: &generator)
            let values = NumberSamples.random(kind: seed, count: count, using: &generator)
            let (decoded, scheme, bytes) = try ColumnarRoundTrip.numbers(values)
            #expect(bitPatterns(decoded) == bitPatterns(values), "seed \(seed), scheme \(scheme)")
            #expect(bytes <= 1 + 8 * count, "seed \(seed): larger than raw")
        }
    }

    @Test func adversarialValuesRoundTripBitExact() throws {
        let decimal = (0..<20).map { Double(215 + $0) / 10 }
        let float32 = (0..<20).map { Double(Float(230) + Float($0) * 0.013) }
        for value in NumberSamples.adversarial {
            let columns: [[Double]] = [
                [value],
                [value, value],
                [value, 1.5],
                [21.5, value, 21.6],
                decimal + [value] + decimal,
                float32 + [value] + float32,
                [value] + float32,
                (0..<50).map { $0 % 2 == 0 ? value : decimal[$0 % 20] },
            ]
            for column in columns {
                let (decoded, scheme, _) = try ColumnarRoundTrip.numbers(column)
                #expect(bitPatterns(decoded) == bitPatterns(column), "\(value.bitPattern) in \(scheme)")
            }
        }
        let all = NumberSamples.adversarial
        let forwards = try ColumnarRoundTrip.numbers(all).decoded
        let backwards = try ColumnarRoundTrip.numbers(all.reversed()).decoded
        #expect(bitPatterns(forwards) == bitPatterns(all))
        #expect(bitPatterns(backwards) == bitPatterns(all.reversed()))
    }

    @Test func emptyColumnIsNoBytes() throws {
        var buffer = ByteBuffer()
        let scheme = ColumnarCodec.encodeNumbers([], into: &buffer)
        #expect(scheme == .raw)
        #expect(buffer.readableBytes == 0)
        let decoded = try ColumnarCodec.decodeNumbers(count: 0, from: &buffer)
        #expect(decoded.isEmpty)
    }

    @Test func decimalReadingsTakeTheDecimalScheme() throws {
        let values = (0..<1000).map { Double(215 + $0 % 7) / 10 }  // 21.5, 21.6, …
        let (decoded, scheme, _) = try ColumnarRoundTrip.numbers(values)
        #expect(scheme == .decimal)
        #expect(bitPatterns(decoded) == bitPatterns(values))
    }

    @Test func floatNoiseTakesTheFloat32Scheme() throws {
        var generator = SplitMix64(seed: 32)
        let values = (0..<1000).map { _ in Double(Float(230) + Float.random(in: -0.5...0.5, using: &generator)) }
        let (decoded, scheme, bytes) = try ColumnarRoundTrip.numbers(values)
        #expect(scheme == .float32)
        #expect(bitPatterns(decoded) == bitPatterns(values))
        #expect(bytes < 4 * values.count)
        // Clearly below Gorilla on the 64-bit patterns: deltas of ordered keys, not XOR windows.
        let gorilla = values.withUnsafeBufferPointer { XORScheme.encode64($0).byteCount }
        #expect(Double(bytes) < 0.9 * Double(gorilla))
    }

    @Test func floatNoiseAroundZeroStaysFloat32() throws {
        var generator = SplitMix64(seed: 0)
        let values = (0..<1000).map { _ in Double(Float.random(in: -0.01...0.01, using: &generator)) }
        let (decoded, scheme, bytes) = try ColumnarRoundTrip.numbers(values)
        #expect(scheme == .float32)
        #expect(bitPatterns(decoded) == bitPatterns(values))
        let gorilla = values.withUnsafeBufferPointer { XORScheme.encode64($0).byteCount }
        #expect(bytes < gorilla)
    }

    @Test func floatNoiseWithFloatNaNsStaysFloat32() throws {
        var values = (0..<100).map { Double(Float(1) + Float($0) / 64) }
        values[10] = Double(bitPattern: 0x7FF4_0000_0000_0000)  // signalling, payload fits a Float
        values[20] = Double(bitPattern: 0xFFF8_0000_2000_0000)
        values[30] = -.infinity
        values[40] = -0.0
        let (decoded, scheme, _) = try ColumnarRoundTrip.numbers(values)
        #expect(scheme == .float32)
        #expect(bitPatterns(decoded) == bitPatterns(values))
        values[50] = Double(bitPattern: 0x7FF0_0000_0000_0001)  // payload a Float cannot hold
        let (again, otherScheme, _) = try ColumnarRoundTrip.numbers(values)
        #expect(otherScheme != .float32)
        #expect(bitPatterns(again) == bitPatterns(values))
    }

    @Test(arguments: [1.0, 0.0, -0.0, Double.nan, Double(bitPattern: 0x7FF0_0000_0000_0001)])
    func flagsTakeTheConstantScheme(_ value: Double) throws {
        let values = [Double](repeating: value, count: 1000)
        let (decoded, scheme, bytes) = try ColumnarRoundTrip.numbers(values)
        #expect(scheme == .constant)
        #expect(bytes == 9)
        #expect(bitPatterns(decoded) == bitPatterns(values))
    }

    @Test func trueDoublesTakeTheXORScheme() throws {
        var generator = SplitMix64(seed: 64)
        let values = (0..<1000).map { _ in 100 + Double.random(in: 0..<1, using: &generator) }
        let (decoded, scheme, _) = try ColumnarRoundTrip.numbers(values)
        #expect(scheme == .xor)
        #expect(bitPatterns(decoded) == bitPatterns(values))
    }

    @Test func randomBitPatternsFallBackToRaw() throws {
        var generator = SplitMix64(seed: 4)
        let values = (0..<1000).map { _ in Double(bitPattern: generator.next()) }
        let (decoded, scheme, bytes) = try ColumnarRoundTrip.numbers(values)
        #expect(scheme == .raw)
        #expect(bytes == 1 + 8 * values.count)
        #expect(bitPatterns(decoded) == bitPatterns(values))
    }

    @Test func decimalUsesTheSmallestExponent() throws {
        let cases: [([Double], UInt8)] = [
            ([21.5, 21.25, 3], 2), ([1, 2, 3, 5], 0), ([0.000001, 0.000002, 0.5], 6), ([1e-10, 2e-10, 3e-10], 10),
        ]
        for (values, exponent) in cases {
            var buffer = ByteBuffer()
            let scheme = ColumnarCodec.encodeNumbers(values, into: &buffer)
            #expect(scheme == .decimal)
            #expect(buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self) == exponent, "\(values)")
            let decoded = try ColumnarCodec.decodeNumbers(count: values.count, from: &buffer)
            #expect(bitPatterns(decoded) == bitPatterns(values))
        }
    }

    @Test func signedZeroAndNaNAreNeverDecimal() throws {
        for odd in [-0.0, .nan, .infinity, 0.1 + 0.2] {
            let values = [21.5, odd, 21.6, 21.7]
            let (decoded, scheme, _) = try ColumnarRoundTrip.numbers(values)
            #expect(scheme != .decimal, "\(odd)")
            #expect(bitPatterns(decoded) == bitPatterns(values))
        }
    }

    /// A room temperature that moves by a tenth of a degree now and then: 1000 samples well under 2 bytes each.
    @Test func slowTemperatureIsSmall() throws {
        var generator = SplitMix64(seed: 21)
        var tenths = 215
        let values = (0..<1000).map { _ -> Double in
            if Int.random(in: 0..<10, using: &generator) == 0 { tenths += Bool.random(using: &generator) ? 1 : -1 }
            return Double(tenths) / 10
        }
        let timestamps = (0..<1000).map { TimestampColumnTests.epoch + Int64($0) * 10_000_000_000 }
        let (decoded, scheme, bytes) = try ColumnarRoundTrip.numbers(values)
        let timestampBytes = try ColumnarRoundTrip.timestamps(timestamps).bytes
        #expect(scheme == .decimal)
        #expect(bitPatterns(decoded) == bitPatterns(values))
        #expect(bytes <= 300)  // 2 bits a sample: deltas −1, 0, 1
        #expect(bytes + timestampBytes < 1000 / 2)
    }
}
