import NIOCore
import Testing

@testable import LeptonCore

@Suite struct VarIntTests {
    @Test(arguments: [UInt64(0), 1, 127, 128, 300, 16383, 16384, UInt64(UInt32.max), .max])
    func unsignedRoundTrip(_ value: UInt64) {
        var buffer = ByteBuffer()
        buffer.writeVarInt(value)
        #expect(buffer.readVarInt() == value)
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: [Int64(0), 1, -1, 63, -64, 64, .max, .min])
    func zigzagRoundTrip(_ value: Int64) {
        var buffer = ByteBuffer()
        buffer.writeZigZag(value)
        #expect(buffer.readZigZag() == value)
    }

    @Test func smallMagnitudesAreShort() {
        var buffer = ByteBuffer()
        buffer.writeZigZag(-64)
        #expect(buffer.readableBytes == 1)
    }

    @Test func truncatedAndOverlongAreRejected() {
        var truncated = ByteBuffer(bytes: [0x80, 0x80])
        #expect(truncated.readVarInt() == nil)
        #expect(truncated.readableBytes == 2)
        var overlong = ByteBuffer(bytes: [UInt8](repeating: 0xFF, count: 10) + [0x01])
        #expect(overlong.readVarInt() == nil)
        var tooBig = ByteBuffer(bytes: [UInt8](repeating: 0xFF, count: 9) + [0x02])
        #expect(tooBig.readVarInt() == nil)
    }
}
