import AsyncAlgorithms
import Foundation
import LeptonCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// Runs one agent connection: feeds frames to a `SessionStateMachine` and performs its actions.
/// One batch at a time: the next frame is read only after the current batch was committed and ACKed.
struct AgentConnection {
    private enum Event: Sendable {
        case message(Message)
        /// The agent closed the connection.
        case closed
        case shutdown
        /// The credit scheduler grants credit to this session while it waits with no ACK to come.
        case grant(SessionStateMachine.Grant)
    }

    let id: UInt64
    let channel: NIOAsyncChannel<Message, Message>
    let configuration: AgentServer.Configuration
    let sink: any RecordSink
    let registry: SessionRegistry
    let reports: AgentReports
    let tail: TailHub
    let ingest: IngestTotals
    let backpressure: Backpressure
    /// The agent's IP address and port, as logs and the API show it.
    let address: String
    let metrics: CollectorMetrics
    var logger: Logger

    init(
        id: UInt64,
        channel: NIOAsyncChannel<Message, Message>,
        configuration: AgentServer.Configuration,
        sink: any RecordSink,
        registry: SessionRegistry,
        reports: AgentReports,
        tail: TailHub,
        ingest: IngestTotals,
        backpressure: Backpressure,
        metrics: CollectorMetrics,
        logger: Logger
    ) {
        self.id = id
        self.channel = channel
        self.configuration = configuration
        self.sink = sink
        self.registry = registry
        self.reports = reports
        self.tail = tail
        self.ingest = ingest
        self.backpressure = backpressure
        self.metrics = metrics
        self.logger = logger
        address = channel.channel.remoteAddress.map(Self.describe) ?? "unknown"
        self.logger[metadataKey: "address"] = "\(address)"
    }

    func run() async {
        // Shutdown and credit grants reach the session loop through this stream.
        let (controlEvents, control) = AsyncStream<Event>.makeStream()
        guard registry.register(id: id, address: address, shutdown: { control.yield(.shutdown) }) else {
            try? await channel.executeThenClose { _, outbound in
                try await outbound.write(.goAway(Self.goAway(configuration.shutdownRetryAfter)))
            }
            return
        }
        defer {
            registry.remove(id: id)
            backpressure.scheduler.unregister(session: id)
            backpressure.gate.forget(session: id)
        }
        let welcomed = NIOLockedValueBox(false)
        let nioChannel = channel.channel
        let handshakeTimer = nioChannel.eventLoop.scheduleTask(in: TimeAmount(configuration.handshakeTimeout)) {
            if !welcomed.withLockedValue({ $0 }) { nioChannel.close(promise: nil) }
        }
        defer { handshakeTimer.cancel() }

        var session: Session?
        do {
            try await channel.executeThenClose { inbound, outbound in
                // `merge` ends only when both sides end: mark the end of the inbound side explicitly.
                let events = merge(chain(inbound.map { Event.message($0) }, [Event.closed].async), controlEvents)
                do {
                    for try await event in events {
                        var actions: [SessionStateMachine.Action]
                        switch event {
                        case .message(let message):
                            if session == nil {
                                session = try await Session(channel: nioChannel, configuration: configuration, id: id)
                            }
                            registry.touch(id: id)
                            actions = session!.machine.received(message)
                        case .closed:
                            return
                        case .shutdown:
                            actions =
                                session?.machine.shutdown(
                                    retryAfterMilliseconds: UInt32(
                                        clamping: configuration.shutdownRetryAfter.milliseconds
                                    )
                                ) ?? [.send(.goAway(Self.goAway(configuration.shutdownRetryAfter))), .close]
                        case .grant(let grant):
                            actions = session?.machine.granted(grant) ?? []
                        }
                        if var current = session {
                            let open = try await perform(
                                actions,
                                session: &current,
                                outbound: outbound,
                                welcomed: welcomed,
                                control: control
                            )
                            session = current
                            if !open { return }
                        } else {
                            for case .send(let message) in actions { try await outbound.write(message) }
                            return
                        }
                    }
                } catch let error as WireDecodingError {
                    metrics.reject(error.code == .frameTooLarge ? "frame_too_large" : "malformed_frame")
                    logger.warning(
                        "rejected frame",
                        metadata: ["agent.id": "\(session?.machine.agentID ?? "")", "error": "\(error)"]
                    )
                    try? await outbound.write(.error(Message.WireError(code: error.code, message: error.message)))
                }
            }
        } catch let error as NIOSSLError {
            metrics.reject("tls_handshake")
            logger.warning("rejected TLS handshake", metadata: ["reason": "\(error)"])
        } catch let error as PeerIdentityError {
            metrics.reject("tls_handshake")
            logger.warning("rejected TLS handshake", metadata: ["reason": "\(error)"])
        } catch {
            if let agent = session?.machine.agentID {
                logger.info("agent connection ended", metadata: ["agent.id": "\(agent)", "reason": "\(error)"])
            } else {
                logger.info("connection ended before handshake", metadata: ["reason": "\(error)"])
            }
        }
        control.finish()
        if let agent = session?.machine.agentID, welcomed.withLockedValue({ $0 }) {
            metrics.sessions.decrement()
            logger.info("agent disconnected", metadata: ["agent.id": "\(agent)"])
        }
    }

    /// Performs actions in order, including the follow-ups of store calls. Returns false once the session closed.
    private func perform(
        _ initial: [SessionStateMachine.Action],
        session: inout Session,
        outbound: NIOAsyncChannelOutboundWriter<Message>,
        welcomed: NIOLockedValueBox<Bool>,
        control: AsyncStream<Event>.Continuation
    ) async throws -> Bool {
        var queue = initial[...]
        while let action = queue.popFirst() {
            switch action {
            case .loadHighWater(let agent):
                if let retryAfter = backpressure.admission.admit() {
                    metrics.overloadedSessions.increment()
                    logger.debug(
                        "session deferred: too many starting",
                        metadata: ["agent.id": "\(agent)", "retry_after_ms": "\(retryAfter.milliseconds)"]
                    )
                    queue.append(
                        contentsOf: session.machine.overloaded(
                            retryAfterMilliseconds: UInt32(clamping: retryAfter.milliseconds)
                        )
                    )
                    continue
                }
                do {
                    let highWater = try await sink.highWater(agent: agent)
                    let credit = backpressure.scheduler.initialCredit(weight: backpressure.weight(of: agent))
                    queue.append(contentsOf: session.machine.highWaterLoaded(highWater, initialCredit: credit))
                } catch {
                    logger.error("storage error", metadata: ["agent.id": "\(agent)", "error": "\(error)"])
                    queue.append(
                        contentsOf: session.machine.commitFailed("cannot read the agent's high-water mark: \(error)")
                    )
                }
            case .send(let message):
                try await outbound.write(message)
                if case .welcome(let welcome) = message {
                    welcomed.withLockedValue { $0 = true }
                    let agent = session.machine.agentID ?? ""
                    registry.identify(id: id, agent: agent)
                    backpressure.scheduler.register(
                        session: id,
                        agent: agent,
                        weight: backpressure.weight(of: agent),
                        initialCredit: welcome.initialCredit
                    ) { control.yield(.grant($0)) }
                    metrics.sessions.increment()
                    logger.info(
                        "agent connected",
                        metadata: [
                            "agent.id": "\(session.machine.agentID ?? "")",
                            "batch.high_water": "\(welcome.highWaterSequence)",
                        ]
                    )
                }
                if case .error(let error) = message {
                    record(error, agent: session.machine.agentID ?? session.identity)
                }
            case .commit(let batch):
                queue.append(contentsOf: await commit(batch, session: &session, outbound: outbound))
            case .duplicate(let sequence):
                let agent = session.machine.agentID ?? session.identity
                metrics.duplicateBatches.increment()
                logger.debug(
                    "duplicate batch acknowledged",
                    metadata: ["agent.id": "\(agent)", "batch.seq": "\(sequence)"]
                )
                // Only a counter is at stake (the batch is stored): on a storage error it is ACKed all the same.
                do {
                    try await sink.recordDuplicate(agent: agent)
                } catch {
                    logger.warning(
                        "storage error, duplicate not counted in the store",
                        metadata: ["agent.id": "\(agent)", "batch.seq": "\(sequence)", "error": "\(error)"]
                    )
                }
            case .recordStats(let stats):
                reports.record(stats, agent: session.machine.agentID ?? session.identity)
                metrics.agentReports.increment()
            case .close:
                return false
            }
        }
        return true
    }

    /// Decodes and commits one batch, within the bound on bytes waiting to commit, and reports it to the credit
    /// scheduler, which decides the credit its ACK returns.
    ///
    /// A saturated store can keep a batch waiting for longer than a heartbeat, and nothing is read from the agent
    /// meanwhile: the collector PINGs the agent every heartbeat until the commit is done, so neither side takes the
    /// quiet connection for a dead one.
    private func commit(
        _ batch: Message.BatchFrame,
        session: inout Session,
        outbound: NIOAsyncChannelOutboundWriter<Message>
    ) async -> [SessionStateMachine.Action] {
        let heartbeat = Duration.milliseconds(Int64(configuration.limits.heartbeatMilliseconds))
        let keepalive = Task {
            // The collector's nonces start at 2^63, apart from the agent's.
            var nonce: UInt64 = 1 << 63
            while !Task.isCancelled {
                try await Task.sleep(for: heartbeat)
                nonce += 1
                try await outbound.write(.ping(nonce))
            }
        }
        defer { keepalive.cancel() }
        let size = batch.wireSize
        backpressure.scheduler.received(session: id, bytes: size)
        // The latency the scheduler sees includes the wait for the store's turn: that wait is the saturation.
        let started = ContinuousClock.now
        await backpressure.gate.enter(
            size,
            session: id,
            weight: backpressure.weight(of: session.machine.agentID ?? session.identity)
        )
        defer { backpressure.gate.leave(size) }
        let actions = await store(batch, session: &session)
        let stored = actions.contains { if case .send(.ack) = $0 { true } else { false } }
        backpressure.scheduler.committed(bytes: stored ? size : 0, latency: ContinuousClock.now - started)
        return actions
    }

    private func store(_ batch: Message.BatchFrame, session: inout Session) async -> [SessionStateMachine.Action] {
        let agent = session.machine.agentID ?? session.identity
        let records: [Record]
        do {
            records = try BatchCodec.decode(batch, maxRawBytes: Int(configuration.limits.maxBatchRawBytes))
        } catch {
            return session.machine.batchInvalid("batch \(batch.sequence): \(error)")
        }
        let started = ContinuousClock.now
        do {
            switch try await sink.commit(agent: agent, sequence: batch.sequence, records: records) {
            case .stored(let skipped):
                metrics.commitSeconds.record(ContinuousClock.now - started)
                tail.publish(agent: agent, records: records)
                ingest.add(
                    records: records.count,
                    compressedBytes: batch.body.readableBytes,
                    rawBytes: Int(batch.rawLength)
                )
                metrics.records.increment(by: Int64(records.count))
                metrics.batches.increment()
                metrics.compressedBytes.increment(by: Int64(batch.body.readableBytes))
                metrics.rawBytes.increment(by: Int64(batch.rawLength))
                if skipped > 0 {
                    metrics.sequenceGap(skipped: skipped)
                    // Expected once per agent restart (sequence numbers are reserved in blocks): not a warning.
                    logger.info(
                        "sequence gap",
                        metadata: [
                            "agent.id": "\(agent)", "batch.seq": "\(batch.sequence)", "batch.skipped": "\(skipped)",
                        ]
                    )
                }
            case .duplicate:
                metrics.duplicateBatches.increment()
            }
            return session.machine.committed(batch, grant: backpressure.scheduler.grantWithAck(session: id))
        } catch {
            logger.error(
                "storage error, batch refused",
                metadata: ["agent.id": "\(agent)", "batch.seq": "\(batch.sequence)", "error": "\(error)"]
            )
            return session.machine.commitFailed("storage unavailable: \(error)")
        }
    }

    private func record(_ error: Message.WireError, agent: String) {
        let reason = error.code.description
        metrics.reject(reason)
        logger.warning(
            "session refused",
            metadata: ["agent.id": "\(agent)", "error.code": "\(reason)", "error": "\(error.message)"]
        )
    }

    /// `127.0.0.1:50412` or `[::1]:50412`.
    static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        if case .v6 = address { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }

    static func goAway(_ retryAfter: Duration) -> Message.GoAway {
        Message.GoAway(
            reason: .shuttingDown,
            retryAfterMilliseconds: UInt32(clamping: retryAfter.milliseconds),
            text: "collector shutting down"
        )
    }
}

/// The per-connection state once the TLS handshake is done: who the peer is, and its protocol state.
private struct Session {
    let identity: String
    var machine: SessionStateMachine

    init(channel: any Channel, configuration: AgentServer.Configuration, id: UInt64) async throws {
        guard let certificate = try await channel.nioSSL_peerCertificate().get(),
            let identity = PeerIdentity.agentName(certificate)
        else { throw PeerIdentityError() }
        self.identity = identity
        machine = SessionStateMachine(peerIdentity: identity, limits: configuration.limits, sessionID: id)
    }
}

/// The client certificate carries no usable agent name.
struct PeerIdentityError: Error, CustomStringConvertible {
    var description: String { "client certificate has no agent name (subject CN)" }
}
