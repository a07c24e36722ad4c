/// Constants of the Lepton wire protocol, version 1 (see `docs/wire-protocol.md`).
public enum WireProtocol {
    /// The only protocol version this build speaks.
    public static let version: UInt16 = 1
    /// TLS ALPN identifier negotiated by both sides.
    public static let alpn = "lepton/1"
    /// Bytes before every frame payload: u32 payload length, u8 type, u8 flags.
    public static let frameHeaderSize = 6
    /// The smallest frame size limit a peer may announce; HELLO and WELCOME always fit.
    public static let minimumMaxFrameBytes = 64 * 1024
}

/// Frame type byte.
public enum FrameType: UInt8, Sendable, CaseIterable {
    case hello = 0x01
    case welcome = 0x02
    case batch = 0x03
    case ack = 0x04
    case ping = 0x05
    case pong = 0x06
    case goAway = 0x07
    case error = 0x08
    case stats = 0x09
}

/// How a batch body is laid out before compression.
public enum BatchEncoding: UInt8, Sendable {
    /// Stream table, then one row per record (see `RowBatchBody`).
    case rowV1 = 1
    /// Per stream: timestamps, numbers and texts in columns (see `ColumnarBatchBody`, `ColumnarCodec`).
    case columnarV1 = 2
}

/// How a batch body is compressed on the wire.
public enum BatchCompression: UInt8, Sendable {
    case none = 0
    case zlib = 1
}
