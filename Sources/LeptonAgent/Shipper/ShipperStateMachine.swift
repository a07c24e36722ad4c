import DequeModule
import LeptonCore

/// The agent's side of one session, without I/O: it decides what to send and when, obeying credit.
///
/// The I/O layer feeds it events (`connected`, `enqueue`, `received`) and performs the actions it returns.
/// A new instance is made for every connection, seeded with every batch still unacknowledged.
///
/// Which batch goes next: first those sent in an earlier session, under their sequence numbers, in that order
/// (the collector would take a batch below its high-water mark for a duplicate); then the oldest batch of the
/// source with the highest `priority`, oldest first among equal priorities. So when credit is short, critical
/// sources go first; within a source, batches go in the order they were spooled.
///
/// Credit bounds what is in flight; delay bounds it further, so that batches do not queue at the collector when its
/// store is slower than what the agent sends. Otherwise credit banked while the store kept up (up to the collector's
/// window, 16 MiB by default) would put a long queue of older, less important batches ahead of every batch that
/// comes later, and the priority order would only show once it drained. The machine measures its delivery rate
/// (bytes acknowledged per second while batches were in flight, smoothed over about ``rateSmoothing``) and keeps in
/// flight at most what that rate delivers in the quickest round trip of the session plus ``queueingLimit``; and while
/// the oldest batch in flight has waited longer than that round trip plus ``queueingLimit``, no more than
/// ``queueingBatches`` (the collector commits a session's batches one at a time: one being committed, one ready).
/// When the store keeps up, a batch is acknowledged within a round trip and neither bound is reached.
public struct ShipperStateMachine: Sendable {
    public enum Action: Hashable, Sendable {
        /// Write this control frame.
        case send(Message)
        /// Write the BATCH frame of this spooled batch (the spool holds its bytes and gives its sequence number);
        /// then report the number with `sent(id:sequence:)`.
        case sendBatch(id: UInt64)
        /// Every batch sent under a sequence number up to and including this one is committed: release it.
        case release(upTo: UInt64)
        /// The collector refused this batch as invalid (`invalid_batch`, not retryable): sending it again would
        /// fail the same way and block everything behind it, so drop and count it.
        case dropRejected(id: UInt64)
        /// The batch can never be accepted (larger than the collector's frame limit): drop and count it.
        case dropOversized(id: UInt64, size: Int)
        /// The session is over; close the connection. `retryAfterMilliseconds` is the collector's wish, if any.
        case close(CloseReason)
    }

    public enum CloseReason: Hashable, Sendable {
        case goAway(Message.GoAway)
        case remoteError(Message.WireError)
        case protocolViolation(String)
    }

    /// A spooled batch waiting to be sent.
    public struct Batch: Hashable, Sendable {
        public var id: UInt64
        /// BATCH payload bytes: what sending it costs in credit.
        public var size: Int
        /// Its source, and that source's priority (higher goes first).
        public var source: Int
        public var priority: Int
        /// The sequence number it was sent under in an earlier session, if any.
        public var sequence: UInt64?

        public init(id: UInt64, size: Int, source: Int = 0, priority: Int = 0, sequence: UInt64? = nil) {
            self.id = id
            self.size = size
            self.source = source
            self.priority = priority
            self.sequence = sequence
        }
    }

    private enum State: Hashable, Sendable {
        case idle
        case awaitingWelcome
        case established
        case closed
    }

    private var state: State = .idle
    private let agentID: String
    /// Batches sent in an earlier session and not acknowledged, in sequence order: resent first.
    private var resend: Deque<Batch> = []
    /// Batches never sent, per source, oldest first. A source's priority is that of its newest batch.
    private var waiting: [Int: Deque<Batch>] = [:]
    /// The highest id enqueued: a batch is enqueued once.
    private var newestID: UInt64 = 0
    /// Batches written in this session and not yet acknowledged (bounded by credit), in the order written.
    private var inFlight: Deque<InFlight> = []
    private var credit: UInt64 = 0
    /// Bytes written in this session and not yet acknowledged.
    private var inFlightBytes = 0
    /// Bytes acknowledged in this session.
    private var delivered = 0
    /// The quickest acknowledgement of the session (write to ACK): the round trip with no queue at the collector.
    private var quickest: Duration?
    /// Bytes acknowledged per second while batches were in flight, smoothed; nil before the first ACK of a batch.
    private var deliveryRate: Double?
    private var rateSampledAt: ContinuousClock.Instant?
    private var maxFrameBytes: Int = .max
    private var acknowledged: UInt64 = 0

    private struct InFlight: Hashable, Sendable {
        var id: UInt64
        var size: Int
        /// Known once the I/O layer reported it (`sent(id:sequence:at:)`).
        var sequence: UInt64?
        var writtenAt: ContinuousClock.Instant?
        /// `delivered` when it was written.
        var deliveredBefore = 0
    }

    /// How long a batch may queue at the collector, beyond the quickest round trip.
    public static let queueingLimit = Duration.seconds(1)
    /// Batches always allowed in flight, and all that are while the oldest waits longer than ``queueingLimit``.
    public static let queueingBatches = 2
    /// How long a delivery-rate sample counts for.
    public static let rateSmoothing = Duration.seconds(2)

    /// Bytes the agent may still send in this session.
    public var availableCredit: UInt64 { credit }
    public var isEstablished: Bool { state == .established }
    /// Heartbeat interval announced by the collector, once welcomed.
    public private(set) var heartbeatMilliseconds: UInt32 = 0

    public init(agentID: String) {
        self.agentID = agentID
    }

    /// The connection (with TLS) is up: say HELLO, resuming from the oldest batch sent before and still held.
    public mutating func connected() -> [Action] {
        guard state == .idle else { return [] }
        state = .awaitingWelcome
        let resume = resend.first?.sequence ?? 0
        return [.send(.hello(Message.Hello(agentID: agentID, resumeSequence: resume)))]
    }

    /// A spooled batch is ready to go (each once, in the order spooled).
    public mutating func enqueue(_ batch: Batch, now: ContinuousClock.Instant = .now) -> [Action] {
        guard state != .closed, batch.id > newestID else { return [] }
        newestID = batch.id
        if state == .established && batch.size > maxFrameBytes {
            return [.dropOversized(id: batch.id, size: batch.size)]
        }
        if let sequence = batch.sequence {
            // Usually in order already: look from the back.
            var at = resend.endIndex
            while at > resend.startIndex, resend[at - 1].sequence! > sequence { at -= 1 }
            resend.insert(batch, at: at)
        } else {
            waiting[batch.source, default: []].append(batch)
        }
        return state == .established ? sendWithinCredit(now: now) : []
    }

    /// The I/O layer wrote batch `id` under `sequence`.
    public mutating func sent(id: UInt64, sequence: UInt64, at now: ContinuousClock.Instant = .now) {
        guard let index = inFlight.lastIndex(where: { $0.id == id }) else { return }
        inFlight[index].sequence = sequence
        inFlight[index].writtenAt = now
        inFlight[index].deliveredBefore = delivered
    }

    public mutating func received(_ message: Message, now: ContinuousClock.Instant = .now) -> [Action] {
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
                resend.removeAll { $0.sequence! <= welcome.highWaterSequence }
            }
            let limit = maxFrameBytes
            let oversized = { (batch: Batch) in batch.size > limit }
            for batch in resend where oversized(batch) {
                actions.append(.dropOversized(id: batch.id, size: batch.size))
            }
            resend.removeAll(where: oversized)
            for source in waiting.keys.sorted() {
                for batch in waiting[source]! where oversized(batch) {
                    actions.append(.dropOversized(id: batch.id, size: batch.size))
                }
                waiting[source]!.removeAll(where: oversized)
            }
            return actions + sendWithinCredit(now: now)
        case (.established, .ack(let ack)):
            credit &+= ack.credit
            var actions: [Action] = []
            if ack.sequence > acknowledged {
                acknowledged = ack.sequence
                actions.append(.release(upTo: ack.sequence))
                var newest: InFlight?
                while let first = inFlight.first, let sequence = first.sequence, sequence <= ack.sequence {
                    inFlight.removeFirst()
                    inFlightBytes -= first.size
                    delivered += first.size
                    newest = first
                }
                if let newest, let writtenAt = newest.writtenAt {
                    sampleDelivery(of: newest, writtenAt: writtenAt, now: now)
                }
            }
            return actions + sendWithinCredit(now: now)
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
                return [.dropRejected(id: refused.id), .close(.remoteError(error))]
            }
            return [.close(.remoteError(error))]
        case (.awaitingWelcome, _), (.established, _):
            return violation("unexpected \(message.frameType) frame")
        }
    }

    /// A batch this machine asked to send turned out to be gone from the spool (evicted, or its bytes damaged):
    /// its credit is free again.
    public mutating func vanished(id: UInt64, now: ContinuousClock.Instant = .now) -> [Action] {
        guard state == .established, let index = inFlight.firstIndex(where: { $0.id == id }) else {
            return []
        }
        let size = inFlight.remove(at: index).size
        credit += UInt64(size)
        inFlightBytes -= size
        return sendWithinCredit(now: now)
    }

    private mutating func violation(_ text: String) -> [Action] {
        state = .closed
        return [
            .send(.error(Message.WireError(code: .protocolViolation, message: text))),
            .close(.protocolViolation(text)),
        ]
    }

    /// The source whose oldest batch goes next among those never sent: highest priority, then oldest batch.
    private func nextSource() -> Int? {
        var best: (source: Int, priority: Int, id: UInt64)?
        for (source, queue) in waiting {
            guard let first = queue.first, let priority = queue.last?.priority else { continue }
            if let current = best,
                current.priority > priority || (current.priority == priority && current.id < first.id)
            {
                continue
            }
            best = (source, priority, first.id)
        }
        return best?.source
    }

    /// Notes the round trip of the newest batch an ACK acknowledged, and the rate bytes were delivered at while it
    /// was in flight.
    private mutating func sampleDelivery(
        of batch: InFlight,
        writtenAt: ContinuousClock.Instant,
        now: ContinuousClock.Instant
    ) {
        let roundTrip = now - writtenAt
        quickest = min(quickest ?? roundTrip, roundTrip)
        let seconds = max(roundTrip.inSeconds, 0.001)
        let sample = Double(delivered - batch.deliveredBefore) / seconds
        let weight = rateSampledAt.map { min(1, (now - $0).inSeconds / Self.rateSmoothing.inSeconds) } ?? 1
        deliveryRate = deliveryRate.map { $0 + weight * (sample - $0) } ?? sample
        rateSampledAt = now
    }

    /// Whether a batch of `size` bytes may go now: credit covers it, and it does not queue at the collector beyond
    /// what the delivery rate drains within ``queueingLimit`` (``queueingBatches`` may always be in flight).
    private func mayWrite(_ size: Int, now: ContinuousClock.Instant) -> Bool {
        guard UInt64(size) <= credit else { return false }
        guard inFlight.count >= Self.queueingBatches, let quickest else { return true }
        let window = quickest + Self.queueingLimit
        if let writtenAt = inFlight.first?.writtenAt, now - writtenAt > window { return false }
        guard let deliveryRate else { return true }
        return Double(inFlightBytes + size) <= deliveryRate * window.inSeconds
    }

    /// Sends, in order, the batches the credit covers; the next batch waits for credit even if a smaller one
    /// behind it would fit (a batch never overtakes a more important or older one).
    private mutating func sendWithinCredit(now: ContinuousClock.Instant) -> [Action] {
        var actions: [Action] = []
        while true {
            let batch: Batch
            if let first = resend.first {
                guard mayWrite(first.size, now: now) else { break }
                batch = resend.removeFirst()
            } else if let source = nextSource() {
                guard mayWrite(waiting[source]!.first!.size, now: now) else { break }
                batch = waiting[source]!.removeFirst()
            } else {
                break
            }
            credit -= UInt64(batch.size)
            inFlightBytes += batch.size
            inFlight.append(InFlight(id: batch.id, size: batch.size, sequence: batch.sequence))
            actions.append(.sendBatch(id: batch.id))
        }
        return actions
    }
}
