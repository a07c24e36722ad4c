import AsyncAlgorithms
import LeptonAgent
import LeptonCollector
import LeptonCore
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A light agent for load experiments (`lepton-bench fleet`) and backpressure tests: one session at a time over
/// real mutual TLS with its own certificate, producing records at a set rate into batches (numbers and log lines),
/// sending them within credit, resending what was not acknowledged after a reconnect, and adapting like the real
/// agent: a bounded backlog (the oldest batches dropped and counted beyond it), and optionally a reduction ladder
/// driven by the real ``FidelityController`` from the collector's advice.
///
/// Every record is accounted for: `produced = acknowledged + dropped + pending + reduced` (reduced: summarised away
/// by a reduction level, at the ladder's factor).
public final class SimulatedAgent: Sendable {
    public struct Settings: Sendable {
        public var id: String
        public var tls: NIOSSLContext
        public var port: Int
        /// Records produced per second at raw fidelity.
        public var recordsPerSecond: Double
        public var batchRecords = 100
        /// Share of log lines among the records (the rest are numbers).
        public var textFraction = 0.2
        /// Batches kept waiting at most (the spool); the oldest go beyond it, counted as dropped.
        public var maxPendingBatches = 2_000
        /// Records per output record at each reduction level (level 0 = raw = 1); one rung = no adaptation.
        public var ladder: [Double] = [1]
        public var fidelity = FidelityController.Settings()
        /// How often the session produces, sends and checks the time (a real agent's batch linger).
        public var tick: Duration = .milliseconds(50)

        public init(id: String, tls: NIOSSLContext, port: Int, recordsPerSecond: Double) {
            self.id = id
            self.tls = tls
            self.port = port
            self.recordsPerSecond = recordsPerSecond
        }
    }

    /// What the agent did, in records unless named bytes.
    public struct Counters: Sendable, Hashable {
        public var produced = 0.0
        public var reduced = 0.0
        public var sent = 0
        public var acknowledged = 0
        public var dropped = 0
        public var pending = 0
        /// Records produced and not yet in a batch (less than one batch).
        public var unbatched = 0.0
        public var bytesSent = 0
        public var bytesAcknowledged = 0
        public var connects = 0
        /// Sessions told to come back later (GOAWAY), and the retry-after of the last one.
        public var goAways = 0
        /// Connections that failed or ended in an error frame, by reason.
        public var failures: [String: Int] = [:]
        public var advisedBytesPerSecond: UInt64 = 0
        public var saturated = false
        public var level = 0
        /// Time spent at each reduction level.
        public var timeAtLevels: [Duration] = []
        /// When the first session was welcomed, from the start of `run`.
        public var firstWelcome: Duration?
        public var connected = false

        public init() {}
    }

    private struct Batch {
        var sequence: UInt64
        var records: Int
        var sent = false
    }

    private struct State {
        var counters = Counters()
        var pending: [Batch] = []
        var nextSequence: UInt64 = 1
        /// Records produced and not yet batched (fractional: production is continuous).
        var carry = 0.0
        var producedAt: ContinuousClock.Instant
        var controller: FidelityController
        var started: ContinuousClock.Instant
        var observedAt: ContinuousClock.Instant
        /// Records per second (raw) may be changed while running.
        var recordsPerSecond: Double
    }

    public let settings: Settings
    /// The batch body every batch carries (with its own sequence number): encoding is not what is measured here.
    private let template: Message.BatchFrame
    /// The records of a batch, as a store counts them (``ThrottledSink/size(_:)``).
    public let rawBatchBytes: Int
    private let state: Mutex<State>

    public init(settings: Settings) throws {
        self.settings = settings
        let now = ContinuousClock.now
        let records = (0..<settings.batchRecords).map { index -> Record in
            let time = wallClockNanoseconds() + Int64(index) * 1_000_000
            if Double(index % 10) < settings.textFraction * 10 {
                return Record(stream: "log", timestamp: time, value: .text("GET /api/items/\(index) 200 12ms"))
            }
            return Record(stream: "sensor.\(index % 4)", timestamp: time, value: .number(20 + Double(index % 7) / 10))
        }
        template = try BatchCodec.encode(records, sequence: 0, encoding: .preferred(for: records))
        rawBatchBytes = ThrottledSink.size(records)
        let controller = FidelityController(
            streams: [.init(name: "all", levels: settings.ladder.count)],
            settings: settings.fidelity,
            now: .zero
        )
        state = Mutex(
            State(
                producedAt: now,
                controller: controller,
                started: now,
                observedAt: now,
                recordsPerSecond: settings.recordsPerSecond
            )
        )
    }

    /// Wire bytes of one batch.
    public var batchBytes: Int { template.wireSize }

    public var counters: Counters {
        state.withLock { state in
            var counters = state.counters
            counters.pending = state.pending.reduce(0) { $0 + $1.records }
            counters.unbatched = state.carry
            counters.level = state.controller.level(of: "all")
            counters.timeAtLevels = state.controller.timeAtLevels(of: "all")
            return counters
        }
    }

    /// Changes the production rate (raw records per second) from now on.
    public func setRecordsPerSecond(_ rate: Double) {
        state.withLock { state in
            produce(&state, now: .now)
            state.recordsPerSecond = rate
        }
    }

    /// Connects, sends, reconnects (full-jitter backoff, or the GOAWAY's retry-after plus up to half again) until the
    /// task is cancelled.
    public func run() async {
        var attempt = 0
        while !Task.isCancelled {
            let outcome = await session()
            state.withLock { $0.counters.connected = false }
            let wait: Duration
            switch outcome {
            case .retryAfter(let retry):
                wait = retry + .milliseconds(Int.random(in: 0...max(0, Int(retry.milliseconds / 2))))
                attempt = 0
            case .failed(let lasted):
                attempt = lasted > .seconds(10) ? 0 : attempt + 1
                let ceiling = min(5_000, 100 << min(attempt, 6))
                wait = .milliseconds(Int.random(in: 0...ceiling))
            }
            try? await Task.sleep(for: wait)
        }
    }

    private enum Outcome {
        case retryAfter(Duration)
        case failed(lasted: Duration)
    }

    private enum Event {
        case message(Message)
        case tick
        case closed
    }

    private func fail(_ reason: String, since: ContinuousClock.Instant) -> Outcome {
        state.withLock { $0.counters.failures[reason, default: 0] += 1 }
        return .failed(lasted: .now - since)
    }

    private func session() async -> Outcome {
        let began = ContinuousClock.now
        let channel: NIOAsyncChannel<Message, Message>
        do {
            let tls = settings.tls
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .connect(host: "127.0.0.1", port: settings.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: "localhost"))
                        try pipeline.addHandler(ByteToMessageHandler(FrameDecoder(maxFrameBytes: 1 << 20)))
                        try pipeline.addHandler(MessageToByteHandler(FrameEncoder()))
                        return try NIOAsyncChannel<Message, Message>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            return fail("connect", since: began)
        }
        state.withLock { $0.counters.connects += 1 }
        do {
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(
                    .hello(
                        Message.Hello(
                            agentID: settings.id,
                            resumeSequence: state.withLock { $0.pending.first?.sequence ?? 0 }
                        )
                    )
                )
                var credit: UInt64 = 0
                var welcomed = false
                var heartbeat = Duration.seconds(15)
                var lastPing = ContinuousClock.now
                var nonce: UInt64 = 0
                let ticks = AsyncTimerSequence(interval: settings.tick, clock: .continuous).map { _ in Event.tick }
                // `merge` ends only when every side ends: mark the end of the inbound side explicitly.
                let events = merge(chain(inbound.map { Event.message($0) }, [Event.closed].async), ticks)
                for try await event in events {
                    switch event {
                    case .closed:
                        return fail(welcomed ? "connection_lost" : "handshake", since: began)
                    case .tick:
                        break
                    case .message(.welcome(let welcome)):
                        welcomed = true
                        credit = welcome.initialCredit
                        heartbeat = .milliseconds(Int64(welcome.heartbeatMilliseconds))
                        state.withLock { state in
                            state.counters.connected = true
                            if state.counters.firstWelcome == nil { state.counters.firstWelcome = .now - state.started }
                            release(&state, upTo: welcome.highWaterSequence)
                            for index in state.pending.indices { state.pending[index].sent = false }
                        }
                    case .message(.ack(let ack)):
                        credit &+= ack.credit
                        state.withLock { state in
                            release(&state, upTo: ack.sequence)
                            state.counters.advisedBytesPerSecond = ack.advisedBytesPerSecond
                            state.counters.saturated = ack.saturated
                        }
                    case .message(.goAway(let goAway)):
                        state.withLock { $0.counters.goAways += 1 }
                        return .retryAfter(.milliseconds(Int64(goAway.retryAfterMilliseconds)))
                    case .message(.error(let error)):
                        return fail(error.code.description, since: began)
                    case .message(.ping(let nonce)):
                        try await outbound.write(.pong(nonce))
                    case .message:
                        break
                    }
                    guard welcomed else { continue }
                    let now = ContinuousClock.now
                    // Like the real agent: a PING every heartbeat, or the collector closes a quiet connection.
                    if now - lastPing >= heartbeat {
                        lastPing = now
                        nonce += 1
                        try await outbound.write(.ping(nonce))
                    }
                    let toSend: [UInt64] = state.withLock { state in
                        produce(&state, now: now)
                        adapt(&state, now: now)
                        var sequences: [UInt64] = []
                        for index in state.pending.indices where !state.pending[index].sent {
                            guard UInt64(template.wireSize) <= credit else { break }
                            credit -= UInt64(template.wireSize)
                            state.pending[index].sent = true
                            state.counters.sent += state.pending[index].records
                            state.counters.bytesSent += template.wireSize
                            sequences.append(state.pending[index].sequence)
                        }
                        return sequences
                    }
                    for sequence in toSend {
                        var frame = template
                        frame.sequence = sequence
                        try await outbound.write(.batch(frame))
                    }
                }
                return fail("connection_lost", since: began)
            }
        } catch {
            return fail("connection_lost", since: began)
        }
    }

    /// Drops acknowledged batches from the head of the backlog.
    private func release(_ state: inout State, upTo sequence: UInt64) {
        while let first = state.pending.first, first.sequence <= sequence {
            state.pending.removeFirst()
            state.counters.acknowledged += first.records
            state.counters.bytesAcknowledged += template.wireSize
        }
    }

    /// Records in per record out at the current reduction level.
    private func reduction(_ state: State) -> Double {
        settings.ladder[min(state.controller.level(of: "all"), settings.ladder.count - 1)]
    }

    /// Produces the records due since the last call, at the current reduction level, into batches.
    private func produce(_ state: inout State, now: ContinuousClock.Instant) {
        let seconds = max(0, (now - state.producedAt).inSeconds)
        state.producedAt = now
        let raw = state.recordsPerSecond * seconds
        let factor = reduction(state)
        state.counters.produced += raw
        state.counters.reduced += raw - raw / factor
        state.carry += raw / factor
        while state.carry >= Double(settings.batchRecords) {
            state.carry -= Double(settings.batchRecords)
            state.pending.append(Batch(sequence: state.nextSequence, records: settings.batchRecords))
            state.nextSequence += 1
            // Like the spool's drop_oldest: the oldest batch not yet sent goes (one in flight may still be ACKed).
            if state.pending.count > settings.maxPendingBatches,
                let oldest = state.pending.firstIndex(where: { !$0.sent })
            {
                state.counters.dropped += state.pending.remove(at: oldest).records
            }
        }
    }

    /// Once a second: tells the fidelity controller what was produced, what the collector advises and how full
    /// the backlog is, and takes the level it decides.
    private func adapt(_ state: inout State, now: ContinuousClock.Instant) {
        let elapsed = now - state.observedAt
        guard elapsed >= .seconds(1) else { return }
        let advised = state.counters.advisedBytesPerSecond
        // What the sources produce now, at the current level: a rate, not the batches that happened to fill this
        // second (at a low rate most seconds fill none).
        let factor = reduction(state)
        let produced =
            state.recordsPerSecond / factor * Double(template.wireSize) / Double(settings.batchRecords)
        _ = state.controller.observe(
            FidelityController.Observation(
                now: now - state.started,
                producedBytesPerSecond: produced,
                allowedBytesPerSecond: advised > 0 ? Double(advised) : nil,
                backlogFraction: Double(state.pending.count) / Double(settings.maxPendingBatches),
                saturated: state.counters.saturated
            )
        )
        state.observedAt = now
    }
}
