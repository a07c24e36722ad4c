import NIOCore

/// Splits a byte stream into `Message`s. The length field is checked against `maxFrameBytes` as soon as the
/// six header bytes are in, before waiting for (or allocating) the payload.
public struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = Message

    /// Largest payload accepted, in bytes.
    public let maxFrameBytes: Int

    public init(maxFrameBytes: Int) {
        self.maxFrameBytes = maxFrameBytes
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> Message? {
        guard
            let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self),
            let type = buffer.getInteger(at: buffer.readerIndex + 4, as: UInt8.self),
            let flags = buffer.getInteger(at: buffer.readerIndex + 5, as: UInt8.self)
        else { return nil }
        guard length <= maxFrameBytes else {
            throw WireDecodingError(
                code: .frameTooLarge,
                "frame of \(length) bytes is above the limit of \(maxFrameBytes) bytes"
            )
        }
        guard FrameType(rawValue: type) != nil else {
            throw WireDecodingError(code: .malformedFrame, "unknown frame type 0x\(String(type, radix: 16))")
        }
        guard buffer.readableBytes >= WireProtocol.frameHeaderSize + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: WireProtocol.frameHeaderSize)
        var payload = buffer.readSlice(length: Int(length))!
        return try Message.decode(type: type, flags: flags, payload: &payload)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Message? {
        if let message = try decode(buffer: &buffer) { return message }
        if seenEOF && buffer.readableBytes > 0 {
            throw WireDecodingError(code: .malformedFrame, "connection closed inside a frame")
        }
        return nil
    }
}

/// Writes `Message`s as frames.
public struct FrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = Message

    public init() {}

    public func encode(data: Message, out: inout ByteBuffer) {
        data.encode(into: &out)
    }
}
