import LeptonTestSupport
import NIOCore
import Testing

@testable import LeptonCore

@Suite struct BitStreamTests {
    @Test func fieldsOfEveryWidthRoundTrip() {
        for seed in 0..<50 {
            var generator = SplitMix64(seed: UInt64(seed))
            let fields = (0..<Int.random(in: 0...500, using: &generator)).map { _ -> (UInt64, Int) in
                let width = Int.random(in: 0...64, using: &generator)
                return (generator.next() & BitReader.mask(width), width)
            }
            var writer = BitWriter()
            for (value, width) in fields { writer.write(value, bits: width) }
            let totalBits = fields.reduce(0) { $0 + $1.1 }
            #expect(writer.bitCount == totalBits)
            var buffer = ByteBuffer()
            writer.write(to: &buffer)
            #expect(buffer.readableBytes == (totalBits + 7) / 8)
            #expect(buffer.readableBytes == writer.byteCount)

            var reader = BitReader(buffer)
            for (index, (value, width)) in fields.enumerated() {
                #expect(reader.read(width) == value, "seed \(seed), field \(index)")
            }
            #expect(reader.consumedBytes == buffer.readableBytes)
            #expect(reader.paddingIsZero)
            #expect(reader.remainingBits < 8)
            #expect(reader.read(8) == nil)
        }
    }

    @Test func bitsGoInLeastSignificantFirst() {
        var writer = BitWriter()
        writer.write(1, bits: 1)
        writer.write(0, bits: 1)
        writer.write(0b101, bits: 3)
        writer.write(0xABC, bits: 12)
        var buffer = ByteBuffer()
        writer.write(to: &buffer)
        // bits, first to last: 1, 0, 1 0 1, then 0xABC from its low bit: 0011 1101 0101
        let bytes = Array(buffer.readableBytesView)
        #expect(bytes == [0b1001_0101, 0b0101_0111, 0b0000_0001])
    }

    @Test func readerStopsAtTheEndAndSeesPadding() {
        var buffer = ByteBuffer(bytes: [0xFF, 0x81])
        var reader = BitReader(buffer)
        #expect(reader.read(9) == 0x1FF)
        #expect(reader.consumedBytes == 2)
        #expect(!reader.paddingIsZero)  // bit 15 is set
        #expect(reader.read(8) == nil)
        buffer = ByteBuffer(bytes: [0x01])
        reader = BitReader(buffer)
        #expect(reader.read(1) == 1)
        #expect(reader.paddingIsZero)
        #expect(reader.read(0) == 0)
        #expect(reader.read(64) == nil)
    }

    @Test func exactDivisorMatchesDivision() {
        var generator = SplitMix64(seed: 99)
        var divisors: [UInt64] = [1, 2, 3, 10, 1_000, 1_000_000, 15_625_000, 1 << 62, 1 << 63, .max, .max - 1]
        for _ in 0..<50 {
            divisors.append(Swift.max(1, generator.next() >> Int.random(in: 0...63, using: &generator)))
        }
        for divisor in divisors {
            let exact = ExactDivisor(divisor)
            #expect(exact.divisor == divisor)
            for _ in 0..<200 {
                let other = generator.next() >> Int.random(in: 0...63, using: &generator)
                #expect(exact.divides(other) == (other % divisor == 0), "\(other) by \(divisor)")

                let quotient = generator.next() % ((UInt64(1) << 63) / divisor + 1)
                let magnitude = divisor * quotient  // at most 2⁶³
                let negative = magnitude == UInt64(1) << 63 || generator.next() & 1 == 1
                let value = negative ? Int64(bitPattern: 0 &- magnitude) : Int64(bitPattern: magnitude)
                let expected = negative ? Int64(bitPattern: 0 &- quotient) : Int64(bitPattern: quotient)
                #expect(exact.divides(value.magnitude))
                #expect(exact.quotient(value) == expected, "\(value) by \(divisor)")
            }
        }
    }
}
