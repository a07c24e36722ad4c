import LeptonCore

/// The collector's side of one agent session, without I/O.
///
/// It checks the handshake against the certificate's identity, keeps the agent within its credit, tells
/// fresh batches from resent ones, and answers with ACKs only once the store has committed.
/// The I/O layer handles one batch at a time: it performs `commit` and reports back before feeding the next frame.
public struct SessionStateMachine: Sendable {
    public struct Limits: Hashable, Sendable {
        public var creditWindowBytes: UInt64
        public var maxFrameBytes: UInt32
        public var maxBatchRawBytes: UInt32
        public var heartbeatMilliseconds: UInt32

        public init(
            creditWindowBytes: UInt64,
            maxFrameBytes: UInt32,
            maxBatchRawBytes: UInt32,
            heartbeatMilliseconds: UInt32
        ) {
            self.creditWindowBytes = creditWindowBytes
            self.maxFrameBytes = maxFrameBytes
            self.maxBatchRawBytes = maxBatchRawBytes
            self.heartbeatMilliseconds = heartbeatMilliseconds
        }
    }

    public enum Action: Hashable, Sendable {
        /// Read the agent's committed high-water mark from the store, then call `highWaterLoaded`.
        case loadHighWater(agentID: String)
        case send(Message)
        /// Decode, check and commit this batch with its sequence number in one transaction, then call
        /// `committed`, `commitFailed` or `batchInvalid`.
        case commit(Message.BatchFrame)
        /// A resent batch at or below the high-water mark: not stored again (already answered with an ACK).
        case duplicate(sequence: UInt64)
        /// The agent reported its record counts (STATS): keep them as its latest report. Never answered.
        case recordStats(Message.Stats)
        /// Close the connection after writing whatever came before.
        case close
    }

    private enum State: Hashable, Sendable {
        case awaitingHello
        case loadingHighWater
        case established
        case closed
    }

    private var state: State = .awaitingHello
    private let peerIdentity: String
    private let limits: Limits
    private let sessionID: UInt64
    private var highWater: UInt64 = 0
    private var credit: UInt64 = 0

    /// The agent id, once HELLO was accepted (kept after the session closed, for logs).
    public private(set) var agentID: String?

    public var highWaterSequence: UInt64 { highWater }
    public var isClosed: Bool { state == .closed }

    /// - Parameter peerIdentity: the agent name carried by the verified client certificate.
    public init(peerIdentity: String, limits: Limits, sessionID: UInt64) {
        self.peerIdentity = peerIdentity
        self.limits = limits
        self.sessionID = sessionID
    }

    public mutating func received(_ message: Message) -> [Action] {
        switch (state, message) {
        case (.closed, _):
            return []
        case (.awaitingHello, .hello(let hello)):
            guard hello.protocolVersion == WireProtocol.version else {
                return fail(
                    .unsupportedVersion,
                    "protocol version \(hello.protocolVersion) is not supported; this collector speaks \(WireProtocol.version)"
                )
            }
            guard hello.agentID == peerIdentity else {
                return fail(
                    .identityMismatch,
                    "agent id '\(hello.agentID)' does not match the certificate's identity '\(peerIdentity)'"
                )
            }
            guard hello.encodings.contains(BatchEncoding.rowV1.rawValue) else {
                return fail(.protocolViolation, "no supported batch encoding offered")
            }
            state = .loadingHighWater
            agentID = hello.agentID
            return [.loadHighWater(agentID: hello.agentID)]
        case (.established, .batch(let batch)):
            guard batch.sequence > 0 && batch.sequence <= UInt64(Int64.max) else {
                return fail(.invalidBatch, "sequence number \(batch.sequence) is out of range 1...\(Int64.max)")
            }
            let size = UInt64(batch.wireSize)
            guard size <= credit else {
                return fail(
                    .creditExceeded,
                    "batch \(batch.sequence) of \(size) bytes exceeds the remaining credit of \(credit) bytes"
                )
            }
            credit -= size
            if batch.sequence <= highWater {
                credit += size
                return [
                    .duplicate(sequence: batch.sequence),
                    .send(.ack(Message.Ack(sequence: highWater, credit: size))),
                ]
            }
            return [.commit(batch)]
        case (.established, .stats(let stats)):
            return [.recordStats(stats)]
        case (.established, .ping(let nonce)), (.loadingHighWater, .ping(let nonce)):
            return [.send(.pong(nonce))]
        case (_, .pong):
            return []
        case (_, .error):
            state = .closed
            return [.close]
        default:
            return fail(.protocolViolation, "unexpected \(message.frameType) frame")
        }
    }

    /// The store answered with the agent's high-water mark: welcome it with `initialCredit` (the credit scheduler's;
    /// `credit_window_bytes` by default).
    public mutating func highWaterLoaded(_ sequence: UInt64, initialCredit: UInt64? = nil) -> [Action] {
        guard state == .loadingHighWater else { return [] }
        state = .established
        highWater = sequence
        credit = initialCredit ?? limits.creditWindowBytes
        return [
            .send(
                .welcome(
                    Message.Welcome(
                        sessionID: sessionID,
                        highWaterSequence: sequence,
                        initialCredit: credit,
                        maxFrameBytes: limits.maxFrameBytes,
                        maxBatchRawBytes: limits.maxBatchRawBytes,
                        heartbeatMilliseconds: limits.heartbeatMilliseconds
                    )
                )
            )
        ]
    }

    /// Credit granted with an ACK, and the advice that goes with it (the credit scheduler's).
    public struct Grant: Hashable, Sendable {
        public var credit: UInt64
        public var advisedBytesPerSecond: UInt64
        public var saturated: Bool

        public init(credit: UInt64, advisedBytesPerSecond: UInt64 = 0, saturated: Bool = false) {
            self.credit = credit
            self.advisedBytesPerSecond = advisedBytesPerSecond
            self.saturated = saturated
        }
    }

    /// The store committed the batch (and the new high-water mark): acknowledge it, granting `grant`'s credit.
    public mutating func committed(_ batch: Message.BatchFrame, grant: Grant) -> [Action] {
        guard state == .established else { return [] }
        highWater = max(highWater, batch.sequence)
        return [.send(.ack(ack(grant)))]
    }

    /// More credit for an agent waiting for it with no ACK to come: an ACK of the current high-water mark (which
    /// releases nothing new) carrying the credit.
    public mutating func granted(_ grant: Grant) -> [Action] {
        guard state == .established, grant.credit > 0 else { return [] }
        return [.send(.ack(ack(grant)))]
    }

    private mutating func ack(_ grant: Grant) -> Message.Ack {
        credit += grant.credit
        return Message.Ack(
            sequence: highWater,
            credit: grant.credit,
            advisedBytesPerSecond: grant.advisedBytesPerSecond,
            adviceFlags: grant.saturated ? Message.Ack.saturatedFlag : 0
        )
    }

    /// Too many sessions are starting at once: tell the agent to come back after `retryAfterMilliseconds`.
    public mutating func overloaded(retryAfterMilliseconds: UInt32) -> [Action] {
        guard state != .closed else { return [] }
        state = .closed
        return [
            .send(
                .goAway(
                    Message.GoAway(
                        reason: .overloaded,
                        retryAfterMilliseconds: retryAfterMilliseconds,
                        text: "collector overloaded: too many sessions starting"
                    )
                )
            ),
            .close,
        ]
    }

    /// The store could not commit: refuse with a retryable error; the agent keeps the batch and reconnects.
    public mutating func commitFailed(_ reason: String) -> [Action] {
        fail(.storageUnavailable, reason, retryable: true)
    }

    /// The batch failed its checks (checksum, sizes, encoding).
    public mutating func batchInvalid(_ reason: String) -> [Action] {
        fail(.invalidBatch, reason)
    }

    /// The collector is shutting down: tell the agent to come back later (or elsewhere).
    public mutating func shutdown(retryAfterMilliseconds: UInt32) -> [Action] {
        guard state != .closed else { return [] }
        state = .closed
        return [
            .send(
                .goAway(
                    Message.GoAway(
                        reason: .shuttingDown,
                        retryAfterMilliseconds: retryAfterMilliseconds,
                        text: "collector shutting down"
                    )
                )
            ),
            .close,
        ]
    }

    private mutating func fail(_ code: WireErrorCode, _ message: String, retryable: Bool = false) -> [Action] {
        guard state != .closed else { return [] }
        state = .closed
        return [.send(.error(Message.WireError(code: code, retryable: retryable, message: message))), .close]
    }
}
