import DequeModule
import LeptonCore

/// The agent's side of one session, without I/O: it decides what to send and when, obeying credit.
///
/// The I/O layer feeds it events (`connected`, `enqueue`, `received`) and performs the actions it returns.
/// A new instance is made for every connection, seeded with every batch still unacknowledged.
public struct ShipperStateMachine: Sendable {
    public enum Action: Hashable, Sendable {
        /// Write this control frame.
        case send(Message)
        /// Write the BATCH frame with this sequence number (the spool holds its bytes).
        case sendBatch(sequence: UInt64)
        /// Every batch up to and including this sequence number is committed: release it.
        case release(upTo: UInt64)
        /// The collector refused this batch as invalid (`invalid_batch`, not retryable): sending it again would
        /// fail the same way and block everything behind it, so drop and count it.
        case dropRejected(sequence: UInt64)
        /// The batch can never be accepted (larger than the collector's frame limit): drop and count it.
        case dropOversized(sequence: UInt64, size: Int)
        /// The session is over; close the connection. `retryAfterMilliseconds` is the collector's wish, if any.
        case close(CloseReason)
    }

    public enum CloseReason: Hashable, Sendable {
        case goAway(Message.GoAway)
        case remoteError(Message.WireError)
        case protocolViolation(String)
    }

    private enum State: Hashable, Sendable {
        case idle
        case awaitingWelcome
        case established
        case closed
    }

    private var state: State = .idle
    private let agentID: String
    /// Batches not yet written in this session, oldest first: (sequence, wire size).
    private var pending: Deque<Batch> = []
    /// Batches written in this session and not yet acknowledged (bounded by credit).
    private var inFlight: Deque<Batch> = []
    private var credit: UInt64 = 0
    private var maxFrameBytes: Int = .max
    private var acknowledged: UInt64 = 0

    private struct Batch: Hashable, Sendable {
        var sequence: UInt64
        var size: Int
    }

    /// Bytes the agent may still send in this session.
    public var availableCredit: UInt64 { credit }
    public var isEstablished: Bool { state == .established }
    /// Heartbeat interval announced by the collector, once welcomed.
    public private(set) var heartbeatMilliseconds: UInt32 = 0

    public init(agentID: String) {
        self.agentID = agentID
    }

    /// The connection (with TLS) is up: say HELLO, resuming from the oldest batch still held.
    public mutating func connected() -> [Action] {
        guard state == .idle else { return [] }
        state = .awaitingWelcome
        let resume = pending.first?.sequence ?? 0
        return [.send(.hello(Message.Hello(agentID: agentID, resumeSequence: resume)))]
    }

    /// A sealed batch is ready to go, in sequence order.
    public mutating func enqueue(sequence: UInt64, size: Int) -> [Action] {
        guard state != .closed else { return [] }
        if let last = pending.last, last.sequence >= sequence { return [] }
        if state == .established && size > maxFrameBytes {
            return [.dropOversized(sequence: sequence, size: size)]
        }
        pending.append(Batch(sequence: sequence, size: size))
        return state == .established ? sendWithinCredit() : []
    }

    public mutating func received(_ message: Message) -> [Action] {
        switch (state, message) {
        case (.closed, _), (.idle, _):
            return []
        case (.awaitingWelcome, .welcome(let welcome)):
            guard welcome.protocolVersion == WireProtocol.version else {
                return violation("collector answered with protocol version \(welcome.protocolVersion)")
            }
            state = .established
            credit = welcome.initialCredit
            maxFrameBytes = Int(welcome.maxFrameBytes) - WireProtocol.frameHeaderSize
            heartbeatMilliseconds = welcome.heartbeatMilliseconds
            var actions: [Action] = []
            if welcome.highWaterSequence > 0 {
                actions.append(.release(upTo: welcome.highWaterSequence))
                acknowledged = welcome.highWaterSequence
                while let first = pending.first, first.sequence <= welcome.highWaterSequence { pending.removeFirst() }
            }
            while let first = pending.first, first.size > maxFrameBytes {
                pending.removeFirst()
                actions.append(.dropOversized(sequence: first.sequence, size: first.size))
            }
            return actions + sendWithinCredit()
        case (.established, .ack(let ack)):
            credit &+= ack.credit
            var actions: [Action] = []
            if ack.sequence > acknowledged {
                acknowledged = ack.sequence
                actions.append(.release(upTo: ack.sequence))
                while let first = inFlight.first, first.sequence <= ack.sequence { inFlight.removeFirst() }
            }
            return actions + sendWithinCredit()
        case (.established, .ping(let nonce)), (.awaitingWelcome, .ping(let nonce)):
            return [.send(.pong(nonce))]
        case (_, .pong):
            return []
        case (_, .goAway(let goAway)):
            state = .closed
            return [.close(.goAway(goAway))]
        case (_, .error(let error)):
            state = .closed
            // The collector checks batches one at a time, in order: the refused one is the oldest unacknowledged.
            if error.code == .invalidBatch, !error.retryable, let refused = inFlight.first {
                return [.dropRejected(sequence: refused.sequence), .close(.remoteError(error))]
            }
            return [.close(.remoteError(error))]
        case (.awaitingWelcome, _), (.established, _):
            return violation("unexpected \(message.frameType) frame")
        }
    }

    /// A batch this machine asked to send turned out to be gone from the spool (evicted, or its bytes damaged):
    /// its credit is free again.
    public mutating func vanished(sequence: UInt64) -> [Action] {
        guard state == .established, let index = inFlight.firstIndex(where: { $0.sequence == sequence }) else {
            return []
        }
        credit += UInt64(inFlight.remove(at: index).size)
        return sendWithinCredit()
    }

    private mutating func violation(_ text: String) -> [Action] {
        state = .closed
        return [
            .send(.error(Message.WireError(code: .protocolViolation, message: text))),
            .close(.protocolViolation(text)),
        ]
    }

    private mutating func sendWithinCredit() -> [Action] {
        var actions: [Action] = []
        while let first = pending.first, UInt64(first.size) <= credit {
            pending.removeFirst()
            credit -= UInt64(first.size)
            inFlight.append(first)
            actions.append(.sendBatch(sequence: first.sequence))
        }
        return actions
    }
}
