import LeptonCore
import LeptonRuntime
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// Accepts agents over mutual TLS and runs one session per connection (see `AgentConnection`).
///
/// On graceful shutdown it stops accepting, lets every session finish the batch it is committing, sends
/// GOAWAY, and returns once all sessions are closed.
public final class AgentServer: Service {
    public struct Configuration: Sendable {
        public var listen: HostPort
        public var tls: NIOSSLContext
        public var limits: SessionStateMachine.Limits
        public var handshakeTimeout: Duration
        /// What GOAWAY asks agents to wait before reconnecting on shutdown.
        public var shutdownRetryAfter: Duration

        public init(
            listen: HostPort,
            tls: NIOSSLContext,
            limits: SessionStateMachine.Limits,
            handshakeTimeout: Duration = .seconds(10),
            shutdownRetryAfter: Duration = .seconds(2)
        ) {
            self.listen = listen
            self.tls = tls
            self.limits = limits
            self.handshakeTimeout = handshakeTimeout
            self.shutdownRetryAfter = shutdownRetryAfter
        }
    }

    /// The address actually bound (useful with port 0).
    public let bound = Rendezvous<SocketAddress>()
    public let sessions = SessionRegistry()
    /// The latest record counts each agent reported (STATS).
    public let reports = AgentReports()
    /// Readers of `/api/v1/tail`: every stored batch is offered to them.
    public let tail = TailHub()
    /// Records and bytes stored, for the status page.
    public let ingest = IngestTotals()
    /// The certificate, key and CA new connections are accepted with; a reload replaces it, and sessions
    /// already up keep theirs.
    public let tls: Reloadable<NIOSSLContext>

    /// Credit scheduling, the bound on bytes waiting to commit, admission control.
    public let backpressure: Backpressure
    private let configuration: Configuration
    private let sink: any RecordSink
    private let metrics: CollectorMetrics
    private let logger: Logger
    /// Next session id.
    private let nextSessionID = Mutex<UInt64>(1)

    public init(
        configuration: Configuration,
        sink: any RecordSink,
        backpressure: Backpressure,
        metrics: CollectorMetrics,
        logger: Logger
    ) {
        self.configuration = configuration
        self.backpressure = backpressure
        self.tls = Reloadable(configuration.tls)
        self.sink = sink
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        let configuration = configuration
        let tls = tls
        let readTimeout = TimeAmount.milliseconds(Int64(configuration.limits.heartbeatMilliseconds) * 3)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.listen.host, port: configuration.listen.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(NIOSSLServerHandler(context: tls.current))
                    // Idle means nothing read and nothing written: a session waiting for a slow commit is kept
                    // alive by the PINGs the collector sends meanwhile (AgentConnection.commit).
                    try pipeline.addHandler(IdleStateHandler(allTimeout: readTimeout))
                    try pipeline.addHandler(CloseOnIdleHandler())
                    try pipeline.addHandler(
                        ByteToMessageHandler(FrameDecoder(maxFrameBytes: Int(configuration.limits.maxFrameBytes)))
                    )
                    try pipeline.addHandler(MessageToByteHandler(FrameEncoder()))
                    return try NIOAsyncChannel<Message, Message>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: .init(lowWatermark: 2, highWatermark: 4))
                    )
                }
            }
        if let address = server.channel.localAddress { bound.set(address) }
        logger.info(
            "listening for agents",
            metadata: ["address": "\(server.channel.localAddress.map(AgentConnection.describe) ?? "unknown")"]
        )

        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        let id = nextSessionID.withLock { id in
                            defer { id += 1 }
                            return id
                        }
                        group.addTask {
                            await AgentConnection(
                                id: id,
                                channel: connection,
                                configuration: configuration,
                                sink: self.sink,
                                registry: self.sessions,
                                reports: self.reports,
                                tail: self.tail,
                                ingest: self.ingest,
                                backpressure: self.backpressure,
                                metrics: self.metrics,
                                logger: self.logger
                            ).run()
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            self.logger.info("stopping: no new agent connections, finishing sessions")
            server.channel.close(promise: nil)
            self.sessions.shutdownAll()
        }
        logger.info("all agent sessions closed")
    }
}

/// Closes a connection that has been silent both ways for longer than the idle timeout.
final class CloseOnIdleHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .all {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
