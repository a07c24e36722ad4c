import NIOCore

/// One decoded frame of the Lepton protocol. Byte layouts are in `docs/wire-protocol.md`.
public enum Message: Hashable, Sendable {
    case hello(Hello)
    case welcome(Welcome)
    case batch(BatchFrame)
    case ack(Ack)
    case ping(UInt64)
    case pong(UInt64)
    case goAway(GoAway)
    case error(WireError)
    case stats(Stats)

    /// Agent → collector, first frame of a session.
    public struct Hello: Hashable, Sendable {
        public var protocolVersion: UInt16
        public var agentID: String
        /// The lowest sequence number the agent still holds unacknowledged (0 when it holds none).
        public var resumeSequence: UInt64
        public var encodings: [UInt8]
        public var compressions: [UInt8]

        public init(
            protocolVersion: UInt16 = WireProtocol.version,
            agentID: String,
            resumeSequence: UInt64,
            encodings: [UInt8] = [BatchEncoding.columnarV1.rawValue, BatchEncoding.rowV1.rawValue],
            compressions: [UInt8] = [BatchCompression.zlib.rawValue, BatchCompression.none.rawValue]
        ) {
            self.protocolVersion = protocolVersion
            self.agentID = agentID
            self.resumeSequence = resumeSequence
            self.encodings = encodings
            self.compressions = compressions
        }
    }

    /// Collector → agent, answer to HELLO.
    public struct Welcome: Hashable, Sendable {
        public var protocolVersion: UInt16
        public var sessionID: UInt64
        /// The highest sequence number the collector has committed for this agent (0 when none).
        public var highWaterSequence: UInt64
        /// Bytes of BATCH payload the agent may send before the next grant.
        public var initialCredit: UInt64
        public var maxFrameBytes: UInt32
        public var maxBatchRawBytes: UInt32
        public var heartbeatMilliseconds: UInt32

        public init(
            protocolVersion: UInt16 = WireProtocol.version,
            sessionID: UInt64,
            highWaterSequence: UInt64,
            initialCredit: UInt64,
            maxFrameBytes: UInt32,
            maxBatchRawBytes: UInt32,
            heartbeatMilliseconds: UInt32
        ) {
            self.protocolVersion = protocolVersion
            self.sessionID = sessionID
            self.highWaterSequence = highWaterSequence
            self.initialCredit = initialCredit
            self.maxFrameBytes = maxFrameBytes
            self.maxBatchRawBytes = maxBatchRawBytes
            self.heartbeatMilliseconds = heartbeatMilliseconds
        }
    }

    /// Agent → collector: one encoded, compressed batch of records.
    public struct BatchFrame: Hashable, Sendable {
        public var sequence: UInt64
        public var recordCount: UInt32
        public var encoding: UInt8
        public var compression: UInt8
        /// Length of the body after decompression.
        public var rawLength: UInt32
        /// CRC-32C of `body` as sent (after compression).
        public var checksum: UInt32
        public var body: ByteBuffer

        /// Bytes of the BATCH frame's payload: what the batch costs in credit.
        public var wireSize: Int { Self.headerSize + body.readableBytes }
        static let headerSize = 8 + 4 + 1 + 1 + 4 + 4

        public init(
            sequence: UInt64,
            recordCount: UInt32,
            encoding: UInt8,
            compression: UInt8,
            rawLength: UInt32,
            checksum: UInt32,
            body: ByteBuffer
        ) {
            self.sequence = sequence
            self.recordCount = recordCount
            self.encoding = encoding
            self.compression = compression
            self.rawLength = rawLength
            self.checksum = checksum
            self.body = body
        }
    }

    /// Collector → agent: every batch up to `sequence` is committed; `credit` more bytes may be sent.
    public struct Ack: Hashable, Sendable {
        public var sequence: UInt64
        public var credit: UInt64
        /// The rate the collector would like this agent to stay under, bytes per second (0: no advice).
        public var advisedBytesPerSecond: UInt64
        /// Bit 0: the collector is saturated.
        public var adviceFlags: UInt8

        /// `adviceFlags` bit 0: the collector's store is saturated.
        public static let saturatedFlag: UInt8 = 1

        public var saturated: Bool { adviceFlags & Self.saturatedFlag != 0 }

        public init(sequence: UInt64, credit: UInt64, advisedBytesPerSecond: UInt64 = 0, adviceFlags: UInt8 = 0) {
            self.sequence = sequence
            self.credit = credit
            self.advisedBytesPerSecond = advisedBytesPerSecond
            self.adviceFlags = adviceFlags
        }
    }

    /// Collector → agent: leave now and come back after `retryAfterMilliseconds` (plus jitter).
    public struct GoAway: Hashable, Sendable {
        public var reason: GoAwayReason
        public var retryAfterMilliseconds: UInt32
        public var text: String

        public init(reason: GoAwayReason, retryAfterMilliseconds: UInt32, text: String) {
            self.reason = reason
            self.retryAfterMilliseconds = retryAfterMilliseconds
            self.text = text
        }
    }

    /// Either direction: a numbered error; the sender closes the connection after it.
    public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
        public var code: WireErrorCode
        /// The receiver may retry the same data later (e.g. storage briefly unavailable).
        public var retryable: Bool
        public var message: String

        public init(code: WireErrorCode, retryable: Bool = false, message: String) {
            self.code = code
            self.retryable = retryable
            self.message = message
        }

        public var description: String { "\(code): \(message)" }
    }

    public var frameType: FrameType {
        switch self {
        case .hello: return .hello
        case .welcome: return .welcome
        case .batch: return .batch
        case .ack: return .ack
        case .ping: return .ping
        case .pong: return .pong
        case .goAway: return .goAway
        case .error: return .error
        case .stats: return .stats
        }
    }
}
