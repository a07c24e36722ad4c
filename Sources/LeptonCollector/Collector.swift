import Foundation
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
    /// What the status page charts over time.
    public let history: StatusHistory
    let certificates: CertificateWatch
    /// The store's throttle when `storage.max_bytes_per_second` is set (a reload changes its rate).
    let throttle: ThrottledSink?
    /// The configuration running now (the last one a reload applied).
    let running: Reloadable<CollectorConfig>
    let logger: Logger

    public init(config: CollectorConfig, logger: Logger, sink: (any RecordSink)? = nil) throws {
        var store: any RecordSink
        if let sink {
            store = sink
        } else {
            switch config.storage.backend {
            case .sqlite(let path):
                store = try SQLiteSink(path: path, rollups: config.storage.rollups)
            case .postgres(let postgres):
                store = try PostgresSink(
                    storage: postgres,
                    password: try postgres.passwordFile.map(Self.readPassword),
                    rollups: config.storage.rollups,
                    logger: logger
                )
            }
            if let limit = config.storage.maxBytesPerSecond { store = ThrottledSink(store, bytesPerSecond: limit) }
        }
        throttle = store as? ThrottledSink
        let metrics = CollectorMetrics()
        let backpressure = Backpressure(config: config)
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
            backpressure: backpressure,
            metrics: metrics,
            logger: logger
        )
        let history = StatusHistory()
        let status = StatusPage(
            sink: store,
            sessions: server.sessions,
            reports: server.reports,
            history: history,
            ingest: server.ingest,
            scheduler: backpressure.scheduler
        )
        let api = CollectorAPI(
            sink: store,
            sessions: server.sessions,
            reports: server.reports,
            tail: server.tail,
            status: status,
            scheduler: backpressure.scheduler
        )
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
            files: Self.watchedCertificates(config),
            registry: metrics.registry,
            metricPrefix: "lepton_collector",
            logger: logger
        )
        self.certificates = certificates
        self.history = history
        self.running = Reloadable(config)
        self.logger = logger
        let retention = RetentionService(sink: store, storage: config.storage, logger: logger)
        // Stopped first: open tails end, so the HTTP server's graceful shutdown does not wait for them.
        let tails = TailCloser(hub: server.tail)
        let sampler = StatusSampler(history: history, ingest: server.ingest, reports: server.reports, sink: store)
        self.services = [
            SinkCloser(sink: store, logger: logger), retention, BlockSealer(sink: store, logger: logger), sampler,
            CreditTicker(backpressure: backpressure, metrics: metrics), certificates, http, server, tails,
        ]
    }

    /// The first line of a password file.
    private static func readPassword(_ path: String) throws -> String {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return String(text.prefix { $0 != "\n" && $0 != "\r" })
    }

    private static func watchedCertificates(_ config: CollectorConfig) -> [(label: String, path: String)] {
        [("cert", config.tls.cert), ("ca", config.tls.ca)]
    }

    /// Applies a new, already validated configuration: the certificate, key and CA for new connections (sessions
    /// already up keep theirs), and `storage.max_bytes_per_second` when the store was started with one. If they cannot be loaded nothing changes and the error is thrown. Returns the
    /// sections that changed but take effect only at the next start (listen addresses, storage, limits).
    @discardableResult
    public func reload(to config: CollectorConfig) throws -> [String] {
        let context = try LeptonTLS.serverContext(config.tls)
        let old = running.current
        var needsRestart: [String] = []
        if config.listen != old.listen { needsRestart.append("listen") }
        if config.httpListen != old.httpListen { needsRestart.append("http_listen") }
        var storage = config.storage
        if let throttle, let rate = config.storage.maxBytesPerSecond {
            throttle.setBytesPerSecond(rate)
            storage.maxBytesPerSecond = old.storage.maxBytesPerSecond
        }
        if storage != old.storage { needsRestart.append("storage") }
        if config.limits != old.limits { needsRestart.append("limits") }
        if config.backpressure != old.backpressure { needsRestart.append("backpressure") }
        server.tls.replace(context)
        certificates.watch(Self.watchedCertificates(config))
        running.replace(config)
        return needsRestart
    }

    /// Reads the configuration file again and applies it (``reload(to:)``), setting the log level to `logLevel`
    /// or the file's `log.level`. An invalid file (its error names file, line and key) or unreadable
    /// certificates leave the running configuration as it is; the error is logged. Returns whether it applied.
    @discardableResult
    public func reload(from path: String, logLevel: Logger.Level? = nil) -> Bool {
        reloadConfiguration(CollectorConfig.self, from: path, logLevel: logLevel, logger: logger) { try reload(to: $0) }
    }

    /// The service group that runs the collector: until SIGTERM/SIGINT (the executable) or until
    /// `triggerGracefulShutdown()` (tests), then shuts down gracefully within `shutdownTimeout`.
    ///
    /// With a `notifier` (the executable passes one built from its environment) it also tells systemd when both
    /// listeners are bound, pings the watchdog while the store answers, and says when it stops. With `reload`,
    /// SIGHUP runs it (the executable reloads its configuration file).
    public func serviceGroup(
        shutdownTimeout: Duration,
        signals: [UnixSignal] = [.sigterm, .sigint],
        notifier: SystemdNotifier? = nil,
        reload: (@Sendable () async -> Void)? = nil,
        logger: Logger
    ) -> ServiceGroup {
        var services = services
        if let reload {
            services.append(ReloadService(notifier: notifier, reload: reload))
        }
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

/// Ends the open `/api/v1/tail` streams when the collector stops.
struct TailCloser: Service {
    let hub: TailHub

    func run() async throws {
        try? await gracefulShutdown()
        hub.close()
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
