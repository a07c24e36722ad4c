import LeptonCore
import LeptonRuntime
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// A whole collector built from its configuration: the store, the agent server and the HTTP endpoint,
/// as services in dependency order (the agent server stops first, the store closes last).
public struct Collector: Sendable {
    public let server: AgentServer
    public let sink: any RecordSink
    public let metrics: CollectorMetrics
    /// Where the HTTP endpoint listens, once bound.
    public let httpBound = Rendezvous<SocketAddress>()
    public let services: [any Service]

    public init(config: CollectorConfig, logger: Logger, sink: (any RecordSink)? = nil) throws {
        let store: any RecordSink
        if let sink {
            store = sink
        } else {
            switch config.storage {
            case .sqlite(let path): store = try SQLiteSink(path: path)
            }
        }
        let metrics = CollectorMetrics()
        let limits = SessionStateMachine.Limits(
            creditWindowBytes: UInt64(config.limits.creditWindowBytes),
            maxFrameBytes: UInt32(config.limits.maxFrameBytes),
            maxBatchRawBytes: UInt32(config.limits.maxBatchRawBytes),
            heartbeatMilliseconds: UInt32(clamping: config.limits.heartbeat.milliseconds)
        )
        let server = AgentServer(
            configuration: .init(
                listen: config.listen,
                tls: try LeptonTLS.serverContext(config.tls),
                limits: limits,
                handshakeTimeout: config.limits.handshakeTimeout
            ),
            sink: store,
            metrics: metrics,
            logger: logger
        )
        let api = CollectorAPI(sink: store, sessions: server.sessions, reports: server.reports)
        let http = AdminServer.make(
            listen: config.httpListen,
            metrics: metrics.registry,
            ready: { server.bound.current != nil },
            logger: logger,
            bound: httpBound,
            routes: api.addRoutes(to:)
        )
        self.server = server
        self.sink = store
        self.metrics = metrics
        let certificates = CertificateWatch(
            files: [("cert", config.tls.cert), ("ca", config.tls.ca)],
            registry: metrics.registry,
            metricPrefix: "lepton_collector",
            logger: logger
        )
        self.services = [SinkCloser(sink: store, logger: logger), certificates, http, server]
    }

    /// The service group that runs the collector: until SIGTERM/SIGINT (the executable) or until
    /// `triggerGracefulShutdown()` (tests), then shuts down gracefully within `shutdownTimeout`.
    ///
    /// With a `notifier` (the executable passes one built from its environment) it also tells systemd when both
    /// listeners are bound, pings the watchdog while the store answers, and says when it stops.
    public func serviceGroup(
        shutdownTimeout: Duration,
        signals: [UnixSignal] = [.sigterm, .sigint],
        notifier: SystemdNotifier? = nil,
        logger: Logger
    ) -> ServiceGroup {
        var services = services
        if let notifier {
            let server = server
            let httpBound = httpBound
            let sink = sink
            services.append(
                SystemdNotifyService(
                    notifier: notifier,
                    ready: {
                        _ = await server.bound.value
                        _ = await httpBound.value
                    },
                    healthy: { (try? await sink.highWater(agent: "")) != nil },
                    logger: logger
                )
            )
        }
        var configuration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: signals,
            logger: logger
        )
        configuration.maximumGracefulShutdownDuration = shutdownTimeout
        return ServiceGroup(configuration: configuration)
    }
}

/// Closes the store once every service that writes to it has stopped.
struct SinkCloser: Service {
    let sink: any RecordSink
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        try await sink.close()
        logger.info("store closed")
    }
}
