import AsyncAlgorithms
import DequeModule
import LeptonCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// One connection to the collector: TLS handshake, HELLO, then batches within credit until the session ends.
struct ShipperConnection {
    enum Outcome: Sendable {
        /// The collector asked to come back after this long (GOAWAY).
        case retryAfter(Duration)
        /// Connection refused, handshake failed, connection lost, or an error frame.
        case failed
    }

    private enum Event: Sendable {
        case message(Message)
        case appended(Spool.Held)
        case tick
        /// The collector closed the connection.
        case closed
    }

    let configuration: Shipper.Configuration
    let spool: Spool
    let state: ConnectionState
    let metrics: AgentMetrics
    let logger: Logger
    /// How often the record counts are reported (STATS) while the session is up, besides right after WELCOME.
    static let statsInterval = Duration.seconds(5)

    func run() async -> Outcome {
        let address = "\(configuration.address)"
        let connection: NIOAsyncChannel<Message, Message>
        do {
            connection = try await connect()
        } catch {
            logger.warning("cannot connect to collector", metadata: ["address": "\(address)", "reason": "\(error)"])
            return .failed
        }
        let nioChannel = connection.channel
        let outcome = await withTaskCancellationHandler {
            do {
                return try await session(connection)
            } catch  where !Task.isCancelled {
                logger.warning(
                    "connection to collector lost",
                    metadata: ["address": "\(address)", "reason": "\(error)"]
                )
                return .failed
            } catch {
                return .failed
            }
        } onCancel: {
            nioChannel.close(promise: nil)
        }
        await spool.unsubscribe()
        return outcome
    }

    private func connect() async throws -> NIOAsyncChannel<Message, Message> {
        let configuration = configuration
        let (channel, handshake) = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: configuration.address.host, port: configuration.address.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handshake = channel.eventLoop.makePromise(of: Void.self)
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(
                        NIOSSLClientHandler(context: configuration.tls, serverHostname: configuration.serverName)
                    )
                    try pipeline.addHandler(HandshakeObserver(promise: handshake))
                    try pipeline.addHandler(ByteToMessageHandler(FrameDecoder(maxFrameBytes: 1 << 20)))
                    try pipeline.addHandler(MessageToByteHandler(FrameEncoder()))
                    let async = try NIOAsyncChannel<Message, Message>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: .init(lowWatermark: 2, highWatermark: 8))
                    )
                    return (async, handshake.futureResult)
                }
            }
        // A peer that accepts TCP but never answers (a black hole) must not hold the agent forever.
        let nioChannel = channel.channel
        let handshakeTimer = nioChannel.eventLoop.scheduleTask(in: TimeAmount(configuration.connectTimeout)) {
            nioChannel.close(promise: nil)
        }
        defer { handshakeTimer.cancel() }
        do {
            try await handshake.get()
        } catch {
            try? await channel.channel.close()
            throw error
        }
        return channel
    }

    private func session(_ connection: NIOAsyncChannel<Message, Message>) async throws -> Outcome {
        try await connection.executeThenClose { inbound, outbound in
            var machine = ShipperStateMachine(agentID: configuration.agentID)
            let (held, appended) = await spool.subscribe()
            for batch in held { _ = machine.enqueue(batch) }
            var lastPing = ContinuousClock.now
            var lastHeard = ContinuousClock.now
            var lastStats = ContinuousClock.now
            var maxFrameBytes = Int.max
            var nonce: UInt64 = 0
            var pacer = configuration.maxBytesPerSecond.map { Pacer(bytesPerSecond: $0) }
            state.pace(bytesPerSecond: configuration.maxBytesPerSecond)

            if let outcome = try await perform(
                machine.connected(),
                outbound: outbound,
                machine: &machine,
                pacer: &pacer
            ) {
                return outcome
            }
            let ticks = AsyncTimerSequence(interval: .seconds(1), clock: .continuous).map { _ in Event.tick }
            // `merge` ends only when every side ends: mark the end of the inbound side explicitly.
            let messages = chain(inbound.map { Event.message($0) }, [Event.closed].async)
            let events = merge(messages, appended.map { Event.appended($0) }, ticks)
            for try await event in events {
                let actions: [ShipperStateMachine.Action]
                switch event {
                case .message(let message):
                    lastHeard = .now
                    if case .ack(let ack) = message {
                        state.advise(
                            bytesPerSecond: ack.advisedBytesPerSecond,
                            saturated: ack.saturated,
                            metrics: metrics
                        )
                    }
                    if case .welcome(let welcome) = message {
                        maxFrameBytes = Int(welcome.maxFrameBytes)
                        state.set(true, metrics: metrics)
                        logger.info("connected to collector", metadata: ["address": "\(configuration.address)"])
                        try await spool.skipSequences(past: welcome.highWaterSequence)
                    }
                    actions = machine.received(message)
                case .appended(let batch):
                    actions = machine.enqueue(batch)
                case .closed:
                    if !Task.isCancelled {
                        logger.warning(
                            "collector closed the connection",
                            metadata: ["address": "\(configuration.address)"]
                        )
                    }
                    return .failed
                case .tick:
                    if pacer != nil { try await sendPaced(&pacer!, outbound: outbound) }
                    guard machine.isEstablished else {
                        if ContinuousClock.now - lastHeard > configuration.connectTimeout {
                            logger.warning(
                                "collector did not answer HELLO, reconnecting",
                                metadata: ["address": "\(configuration.address)"]
                            )
                            return .failed
                        }
                        continue
                    }
                    if ContinuousClock.now - lastStats >= Self.statsInterval {
                        lastStats = .now
                        if let stats = await statsFrame(maxFrameBytes: maxFrameBytes) {
                            try await outbound.write(stats)
                        }
                    }
                    let heartbeat = Duration.milliseconds(machine.heartbeatMilliseconds)
                    guard heartbeat > .zero else { continue }
                    // The collector answers every PING: silence for three heartbeats means a dead connection.
                    if ContinuousClock.now - lastHeard > heartbeat * 3 {
                        logger.warning(
                            "collector silent, reconnecting",
                            metadata: [
                                "address": "\(configuration.address)",
                                "silent_ms": "\((ContinuousClock.now - lastHeard).milliseconds)",
                            ]
                        )
                        return .failed
                    }
                    guard ContinuousClock.now - lastPing >= heartbeat else { continue }
                    lastPing = .now
                    nonce += 1
                    actions = [.send(.ping(nonce))]
                }
                if let outcome = try await perform(actions, outbound: outbound, machine: &machine, pacer: &pacer) {
                    return outcome
                }
                if case .message(.welcome) = event {
                    // Welcomed (a refused WELCOME ended the session above): report the counts once now.
                    lastStats = .now
                    if let stats = await statsFrame(maxFrameBytes: maxFrameBytes) {
                        try await outbound.write(stats)
                    } else {
                        logger.warning("record counts too large for one frame, not reported to the collector")
                    }
                }
            }
            return .failed
        }
    }

    /// A STATS frame: the agent's record counts and what the spool holds now. Nil when it would exceed the
    /// collector's frame limit (the collector would end the session).
    private func statsFrame(maxFrameBytes: Int) async -> Message? {
        let message = Message.stats(metrics.statsSnapshot(pending: await spool.pendingRecords()))
        var buffer = ByteBuffer()
        message.encode(into: &buffer)
        return buffer.readableBytes - WireProtocol.frameHeaderSize <= maxFrameBytes ? message : nil
    }

    /// Writes the batches the pacer lets through now.
    private func sendPaced(_ pacer: inout Pacer, outbound: NIOAsyncChannelOutboundWriter<Message>) async throws {
        for frame in pacer.due() {
            try await outbound.write(.batch(frame))
            metrics.wireBytesSent.increment(by: Int64(frame.wireSize))
        }
    }

    /// Performs the actions; returns an outcome when the session is over.
    private func perform(
        _ actions: [ShipperStateMachine.Action],
        outbound: NIOAsyncChannelOutboundWriter<Message>,
        machine: inout ShipperStateMachine,
        pacer: inout Pacer?
    ) async throws -> Outcome? {
        var queue = actions[...]
        while let action = queue.popFirst() {
            switch action {
            case .send(let message):
                try await outbound.write(message)
            case .sendBatch(let id):
                guard let frame = try await spool.handOff(id: id) else {
                    // Evicted or damaged since it was queued: its credit goes to the next batch.
                    queue.append(contentsOf: machine.vanished(id: id))
                    continue
                }
                machine.sent(id: id, sequence: frame.sequence)
                if pacer != nil {
                    pacer!.enqueue(frame)
                    try await sendPaced(&pacer!, outbound: outbound)
                    if pacer!.isWaiting { metrics.batchesPaced.increment() }
                    continue
                }
                try await outbound.write(.batch(frame))
                metrics.wireBytesSent.increment(by: Int64(frame.wireSize))
            case .release(let sequence):
                let (batches, _) = await spool.release(upTo: sequence)
                metrics.batchesAcknowledged.increment(by: Int64(batches))
            case .dropRejected(let id):
                let records = await spool.drop(id: id, reason: "rejected")
                logger.error(
                    "collector refused a batch as invalid, dropped",
                    metadata: ["batch.id": "\(id)", "records": "\(records)"]
                )
            case .dropOversized(let id, let size):
                let records = await spool.drop(id: id, reason: "oversized_batch")
                logger.error(
                    "batch larger than the collector accepts, dropped",
                    metadata: ["batch.id": "\(id)", "bytes": "\(size)", "records": "\(records)"]
                )
            case .close(let reason):
                switch reason {
                case .goAway(let goAway):
                    logger.info(
                        "collector asked to reconnect later",
                        metadata: ["reason": "\(goAway.reason)", "retry_after_ms": "\(goAway.retryAfterMilliseconds)"]
                    )
                    return .retryAfter(.milliseconds(goAway.retryAfterMilliseconds))
                case .remoteError(let error):
                    if error.retryable {
                        logger.warning(
                            "collector refused a batch, will retry",
                            metadata: ["error.code": "\(error.code)", "error": "\(error.message)"]
                        )
                    } else {
                        logger.error(
                            "collector ended the session",
                            metadata: ["error.code": "\(error.code)", "error": "\(error.message)"]
                        )
                    }
                    return .failed
                case .protocolViolation(let text):
                    logger.error("protocol violation by the collector", metadata: ["error": "\(text)"])
                    return .failed
                }
            }
        }
        return nil
    }
}

/// Paces batches to `bandwidth.max_bytes_per_second` with a token bucket (one second of burst): batches the credit
/// allows wait here, in order, until the bucket lets them through; checked at every event and every second.
struct Pacer {
    private var bucket: TokenBucket
    private var waiting: Deque<Message.BatchFrame> = []
    private let origin = ContinuousClock.now

    init(bytesPerSecond: Int) {
        bucket = TokenBucket(perSecond: Double(bytesPerSecond), burst: Double(bytesPerSecond))
    }

    /// Queues a batch behind those already waiting.
    mutating func enqueue(_ frame: Message.BatchFrame) {
        waiting.append(frame)
    }

    /// Whether batches are waiting for the bucket (the newest one included).
    var isWaiting: Bool { !waiting.isEmpty }

    /// The batches the bucket lets through now, oldest first.
    mutating func due() -> [Message.BatchFrame] {
        var due: [Message.BatchFrame] = []
        while let first = waiting.first, bucket.take(first.wireSize, now: ContinuousClock.now - origin) == nil {
            due.append(waiting.removeFirst())
        }
        return due
    }
}

/// Completes a promise when the TLS handshake finishes, or fails it with the reason it did not.
final class HandshakeObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let promise: EventLoopPromise<Void>
    private var done = false

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls, !done {
            done = true
            promise.succeed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !done {
            done = true
            promise.fail(error)
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done {
            done = true
            promise.fail(ChannelError.eof)
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if !done {
            done = true
            promise.fail(ChannelError.ioOnClosedChannel)
        }
    }
}
