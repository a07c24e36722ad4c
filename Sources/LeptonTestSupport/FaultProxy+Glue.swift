import NIOCore
import NIOPosix

/// One accepted connection of a `FaultProxy` and its upstream connection to the target.
///
/// Both channels share the accepted channel's event loop, and every member is used only on that loop (the registry
/// holds the link as a `NIOLoopBound`); hence no locks and no `Sendable`.
final class ProxyLink {
    enum Behaviour: Equatable {
        /// Accepted, not active yet: the mode to start in.
        case starting(FaultProxy.Mode)
        /// Forwarding both ways; nil: as fast as the sockets go.
        case forward(bytesPerSecond: Int?)
        /// A dead link: reads nothing, writes nothing, never closes by itself.
        case swallow
        /// Aborted or closed.
        case closed
    }

    private enum Upstream {
        case none
        case connecting(EventLoopFuture<any Channel>)
        case open(any Channel)
        case closed
    }

    let registry: FaultProxyRegistry
    let downstream: ProxyGlueHandler
    private(set) var behaviour: Behaviour = .starting(.pass)
    private var id = -1
    private var upstream: ProxyGlueHandler?
    private var upstreamState = Upstream.none
    private let downstreamChannel: any Channel
    private var downstreamOpen = true
    private var aborted = false
    private var finished = false
    /// Where the upstream connection goes, as the proxy's target was when this link was accepted.
    private var targetPort = 0

    private init(downstreamChannel: any Channel, registry: FaultProxyRegistry) {
        self.downstreamChannel = downstreamChannel
        self.registry = registry
        self.downstream = ProxyGlueHandler()
        downstream.link = self
    }

    private var eventLoop: any EventLoop { downstreamChannel.eventLoop }

    /// The rate when forwarding slowly, nil otherwise.
    var bytesPerSecond: Int? {
        if case .forward(let rate?) = behaviour { max(1, rate) } else { nil }
    }

    /// Called in the child channel initializer (on its event loop); throws once the proxy is stopping.
    static func attach(to channel: any Channel, registry: FaultProxyRegistry) throws {
        let link = ProxyLink(downstreamChannel: channel, registry: registry)
        guard let admitted = registry.admit(NIOLoopBound(link, eventLoop: channel.eventLoop)) else {
            throw ChannelError.ioOnClosedChannel  // stopping: the bootstrap closes the channel
        }
        link.id = admitted.id
        link.targetPort = admitted.targetPort
        link.behaviour = .starting(admitted.mode)
        try channel.pipeline.syncOperations.addHandler(link.downstream)
    }

    /// A mode change from `FaultProxy.setMode`.
    func apply(_ mode: FaultProxy.Mode) {
        switch (behaviour, mode) {
        case (.closed, _):
            return
        case (.starting, _):
            behaviour = .starting(mode)
        case (_, .reset):
            abort()
        case (.swallow, _):
            return  // a dead link stays dead
        case (.forward, .blackhole):
            behaviour = .swallow
            downstream.discardQueue()
            upstream?.discardQueue()
        case (.forward, .pass):
            behaviour = .forward(bytesPerSecond: nil)
            downstream.drain()
            upstream?.drain()
        case (.forward, .slow(let rate)):
            behaviour = .forward(bytesPerSecond: rate)
        }
    }

    /// Closes both sides now, queued bytes dropped (for `FaultProxy.stop()`); completes when both are closed.
    func close() -> EventLoopFuture<Void> {
        behaviour = .closed
        downstream.discardQueue()
        upstream?.discardQueue()
        var closed = [downstreamChannel.closeFuture]
        downstreamChannel.close(promise: nil)
        switch upstreamState {
        case .open(let channel):
            closed.append(channel.closeFuture)
            channel.close(promise: nil)
        case .connecting(let connect):
            // `upstreamConnected` closes it on arrival.
            closed.append(connect.flatMap { $0.closeFuture }.recover { _ in })
        case .none, .closed:
            break
        }
        return EventLoopFuture.andAllComplete(closed, on: eventLoop)
    }

    func channelActive(_ side: ProxyGlueHandler) {
        guard side === downstream, case .starting(let mode) = behaviour else { return }
        switch mode {
        case .reset:
            abort()
        case .blackhole:
            behaviour = .swallow
        case .pass:
            behaviour = .forward(bytesPerSecond: nil)
            connectUpstream()
        case .slow(let rate):
            behaviour = .forward(bytesPerSecond: rate)
            connectUpstream()
        }
    }

    func channelInactive(_ side: ProxyGlueHandler) {
        if side === downstream {
            downstreamOpen = false
        } else if case .open = upstreamState {
            upstreamState = .closed
        }
        // Forwarding: the other side writes what it has, then FIN. Swallowing: the close is not passed on either.
        if case .forward = behaviour {
            side.partner?.finishThenClose()
        }
        finishIfDone()
    }

    /// SO_LINGER {1, 0}, then close: the kernel sends a RST and drops unsent bytes. Both sides.
    private func abort() {
        behaviour = .closed
        aborted = true
        downstream.discardQueue()
        upstream?.discardQueue()
        Self.reset(downstreamChannel)
        if case .open(let channel) = upstreamState {
            Self.reset(channel)
        }
    }

    private static func reset(_ channel: any Channel) {
        guard let provider = channel as? any SocketOptionProvider else {
            channel.close(promise: nil)
            return
        }
        provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
    }

    private func connectUpstream() {
        let link = NIOLoopBound(self, eventLoop: eventLoop)
        let connect = ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = ProxyGlueHandler()
                    handler.link = link.value
                    link.value.upstream = handler
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: "127.0.0.1", port: targetPort)
        upstreamState = .connecting(connect)
        connect.assumeIsolated().whenComplete { result in self.upstreamConnected(result) }
    }

    private func upstreamConnected(_ result: Result<any Channel, any Error>) {
        switch result {
        case .failure(let error):
            upstreamState = .closed
            registry.logger.debug(
                "fault proxy could not reach the target",
                metadata: ["proxy.target": "\(targetPort)", "error": "\(error)"]
            )
            // The target is down: the agent sees its connection closed (unless the link went dead meanwhile).
            if case .forward = behaviour {
                downstream.finishThenClose()
            }
        case .success(let channel):
            guard channel.isActive else {
                upstreamState = .closed
                if case .forward = behaviour { downstream.finishThenClose() }
                break
            }
            upstreamState = .open(channel)
            switch behaviour {
            case .closed where aborted:
                Self.reset(channel)
            case .forward where !downstreamOpen, .closed:
                channel.close(promise: nil)
            case .forward:
                guard let upstream else { break }
                downstream.partner = upstream
                upstream.partner = downstream
                downstream.resumeReading()
                upstream.resumeReading()
            case .swallow, .starting:
                break  // connected after the link went dead: left open and silent until `stop()`
            }
        }
        finishIfDone()
    }

    /// Once both sides are closed, the registry forgets the link.
    private func finishIfDone() {
        guard !finished, !downstreamOpen else { return }
        switch upstreamState {
        case .connecting, .open:
            return
        case .none, .closed:
            finished = true
            behaviour = .closed
            registry.remove(id)
        }
    }
}

/// One side of a `ProxyLink`, after swift-nio's connect-proxy `GlueHandler`: what its channel reads goes to the
/// partner, which writes it to the other channel. Reading stops (the `read` event is held) while the partner cannot
/// take more, so nothing is buffered without bound. In slow mode a handler paces what it writes with scheduled tasks.
/// Lives on the link's event loop; not Sendable.
final class ProxyGlueHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// In slow mode, the partner stops reading while more than this waits to be written here.
    static let maximumQueuedBytes = 64 * 1024

    /// Strong until `handlerRemoved`, which breaks the cycles link ↔ handler ↔ partner.
    var link: ProxyLink?
    var partner: ProxyGlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    private var needsFlush = false
    private var closing = false
    private var lastWrite: EventLoopFuture<Void>?

    // Bytes waiting to be written to this handler's channel (slow mode, or not writable after slow mode).
    private var queue = CircularBuffer<ByteBuffer>()
    private var queuedBytes = 0
    private var nextWrite = NIODeadline.uptimeNanoseconds(0)
    private var drainTask: Scheduled<Void>?
    private var draining = false

    /// Whether the partner may read more for this side.
    private var acceptsMore: Bool {
        guard let context, !closing else { return false }
        return context.channel.isWritable && queuedBytes < Self.maximumQueuedBytes
    }

    private var isForwarding: Bool {
        if case .forward = link?.behaviour { true } else { false }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        discardQueue()
        self.context = nil
        self.partner = nil
        self.link = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        link?.channelActive(self)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        link?.channelInactive(self)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Swallowed, closing, or not paired yet: the bytes are dropped.
        guard isForwarding, let partner else { return }
        partner.send(Self.unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.flushIfNeeded()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            drain()
            partner?.resumeReading()
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Reads only while forwarding and while the partner can take more; otherwise the read waits in `pendingRead`.
    func read(context: ChannelHandlerContext) {
        if isForwarding, partner?.acceptsMore == true {
            context.read()
        } else {
            pendingRead = true
        }
    }

    func resumeReading() {
        guard pendingRead, let context, isForwarding, partner?.acceptsMore == true else { return }
        pendingRead = false
        context.read()
    }

    /// Bytes the partner read, to be written to this handler's channel.
    func send(_ bytes: ByteBuffer) {
        guard let context, !closing else { return }
        if queue.isEmpty, link?.bytesPerSecond == nil {
            write(bytes, context: context)
            needsFlush = true
        } else {
            queuedBytes += bytes.readableBytes
            queue.append(bytes)
            drain()
        }
    }

    func flushIfNeeded() {
        guard needsFlush, let context else { return }
        needsFlush = false
        context.flush()
    }

    /// Writes the queue: at the link's rate in chunks of about 1/20 s, or all at once when not slow.
    func drain() {
        guard let context, !draining else { return }
        draining = true
        defer { draining = false }
        while !queue.isEmpty, context.channel.isWritable {
            guard let rate = link?.bytesPerSecond else {
                drainTask?.cancel()
                drainTask = nil
                while !queue.isEmpty {
                    let bytes = queue.removeFirst()
                    queuedBytes -= bytes.readableBytes
                    write(bytes, context: context)
                }
                break
            }
            guard drainTask == nil else { break }
            let now = NIODeadline.now()
            guard nextWrite <= now else {
                drainTask = context.eventLoop.assumeIsolated().scheduleTask(deadline: nextWrite) {
                    self.drainTask = nil
                    self.drain()
                }
                break
            }
            var bytes = queue.removeFirst()
            let chunkSize = min(max(1, rate / 20), Self.maximumQueuedBytes)
            if bytes.readableBytes > chunkSize, let head = bytes.readSlice(length: chunkSize) {
                queue.prepend(bytes)
                bytes = head
            }
            queuedBytes -= bytes.readableBytes
            write(bytes, context: context)
            nextWrite = now + .nanoseconds(Int64(bytes.readableBytes) * 1_000_000_000 / Int64(rate))
        }
        flushIfNeeded()
        partner?.resumeReading()
        if closing, queue.isEmpty {
            closeAfterLastWrite()
        }
    }

    /// Drops queued bytes and any scheduled write (swallowing, reset, stop).
    func discardQueue() {
        drainTask?.cancel()
        drainTask = nil
        queue.removeAll()
        queuedBytes = 0
    }

    /// The partner's channel closed (or never connected): write what is queued, then close this side with a FIN.
    func finishThenClose() {
        guard context != nil, !closing else { return }
        closing = true
        if queue.isEmpty {
            closeAfterLastWrite()
        }
    }

    private func closeAfterLastWrite() {
        guard let context else { return }
        flushIfNeeded()
        guard let lastWrite else {
            context.close(promise: nil)
            return
        }
        // Closing drops writes still in NIO's buffer; close once the last one reached the kernel.
        lastWrite.assumeIsolated().whenComplete { _ in self.context?.close(promise: nil) }
    }

    private func write(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        let count = bytes.readableBytes
        let registry = link?.registry
        let written = context.write(Self.wrapOutboundOut(bytes))
        written.whenSuccess { _ in registry?.addForwarded(count) }
        lastWrite = written
        needsFlush = true
    }
}
