/// Numbered error codes carried by ERROR frames (see `docs/wire-protocol.md`).
public struct WireErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// A frame arrived that the session state does not allow (e.g. BATCH before HELLO).
    public static let protocolViolation = WireErrorCode(rawValue: 1)
    /// The peer speaks a protocol version this build does not.
    public static let unsupportedVersion = WireErrorCode(rawValue: 2)
    /// The agent id in HELLO is not the identity of the client certificate.
    public static let identityMismatch = WireErrorCode(rawValue: 3)
    /// A frame's length field is above the receiver's maximum.
    public static let frameTooLarge = WireErrorCode(rawValue: 4)
    /// A frame could not be parsed (unknown type, truncated field, bad UTF-8).
    public static let malformedFrame = WireErrorCode(rawValue: 5)
    /// A batch failed its checks: checksum, sizes, record count, encoding.
    public static let invalidBatch = WireErrorCode(rawValue: 6)
    /// The agent sent more bytes than it was granted.
    public static let creditExceeded = WireErrorCode(rawValue: 7)
    /// The store could not commit; the agent keeps the batch and retries later.
    public static let storageUnavailable = WireErrorCode(rawValue: 8)
    /// HELLO did not arrive in time.
    public static let handshakeTimeout = WireErrorCode(rawValue: 9)
    /// The peer was silent for longer than the heartbeat allows.
    public static let heartbeatTimeout = WireErrorCode(rawValue: 10)

    public var description: String {
        switch self {
        case .protocolViolation: return "protocol_violation"
        case .unsupportedVersion: return "unsupported_version"
        case .identityMismatch: return "identity_mismatch"
        case .frameTooLarge: return "frame_too_large"
        case .malformedFrame: return "malformed_frame"
        case .invalidBatch: return "invalid_batch"
        case .creditExceeded: return "credit_exceeded"
        case .storageUnavailable: return "storage_unavailable"
        case .handshakeTimeout: return "handshake_timeout"
        case .heartbeatTimeout: return "heartbeat_timeout"
        default: return "error_\(rawValue)"
        }
    }
}

/// Reasons carried by GOAWAY frames.
public struct GoAwayReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The collector is shutting down; reconnect (possibly elsewhere) after the delay.
    public static let shuttingDown = GoAwayReason(rawValue: 1)
    /// The collector is admitting no more sessions right now.
    public static let overloaded = GoAwayReason(rawValue: 2)

    public var description: String {
        switch self {
        case .shuttingDown: return "shutting_down"
        case .overloaded: return "overloaded"
        default: return "reason_\(rawValue)"
        }
    }
}
