import LeptonCore
import LeptonRuntime
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// A whole agent built from its configuration: admin endpoint, spool, shipper and pipeline, as services in
/// dependency order (sources stop first, then the shipper drains, the spool is synced and closed, the admin
/// endpoint answers until the end).
public struct Agent: Sendable {
    public let metrics: AgentMetrics
    public let adminBound = Rendezvous<SocketAddress>()
    let spool: Spool
    let shipper: Shipper
    let pipeline: AgentPipeline
    let fidelity: FidelityAdapter
    let certificates: CertificateWatch
    /// The configuration running now (the last one a reload applied).
    let running: Reloadable<AgentConfig>
    let logger: Logger
    let hasAdmin: Bool
    let services: [ServiceGroupConfiguration.ServiceConfiguration]

    public init(config: AgentConfig, logger: Logger, standardInput: Int32 = 0) throws {
        let metrics = AgentMetrics()
        let stateDirectory = config.agent.stateDirectory
        let spool = try Spool(
            configuration: .init(
                directory: stateDirectory + "/spool",
                maxBytes: config.spool.maxBytes,
                segmentBytes: config.spool.segmentBytes,
                fsync: config.spool.fsync
            ),
            stateDirectory: stateDirectory,
            policies: Dictionary(
                config.sources.map { ($0.name, $0.whenFull) },
                uniquingKeysWith: { first, _ in first }
            ),
            priorities: Dictionary(
                config.sources.map { ($0.name, $0.priority) },
                uniquingKeysWith: { first, _ in first }
            ),
            metrics: metrics,
            logger: logger
        )
        let shipper = Shipper(
            configuration: try Self.shipperConfiguration(config),
            spool: spool,
            metrics: metrics,
            logger: logger
        )
        let fidelity = FidelityAdapter(
            config: config,
            spool: spool,
            link: shipper.connection,
            metrics: metrics,
            logger: logger
        )
        let pipeline = AgentPipeline(
            sources: config.sources,
            makeInput: { source in
                AgentPipeline.Input(
                    source: makeSource(
                        source,
                        resume: { [name = source.name] in await spool.checkpoints(source: name) },
                        standardInput: standardInput,
                        metrics: metrics,
                        logger: logger
                    ),
                    policy: source.whenFull,
                    processors: source.processors,
                    priority: source.priority,
                    fidelity: source.fidelity
                )
            },
            batch: config.batch,
            spool: spool,
            fidelity: fidelity,
            metrics: metrics,
            logger: logger,
            hostname: hostName()
        )
        let running = Reloadable(config)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let admin = config.admin {
            let http = AdminServer.make(
                listen: admin.listen,
                metrics: metrics.registry,
                ready: { shipper.connection.isUp },
                logger: logger,
                bound: adminBound,
                routes: { router in
                    router.get("api/v1/status") { _, _ in
                        try AdminServer.json(
                            await AgentStatus.now(
                                config: running.current,
                                metrics: metrics,
                                spool: spool,
                                connection: shipper.connection
                            )
                        )
                    }
                }
            )
            services.append(.init(service: http))
        }
        let certificates = CertificateWatch(
            files: Self.watchedCertificates(config),
            registry: metrics.registry,
            metricPrefix: "lepton_agent",
            logger: logger
        )
        services.append(.init(service: certificates))
        services.append(.init(service: SpoolService(spool: spool, policy: config.spool.fsync)))
        services.append(.init(service: shipper))
        services.append(.init(service: fidelity))
        services.append(.init(service: pipeline, successTerminationBehavior: .gracefullyShutdownGroup))
        self.metrics = metrics
        self.spool = spool
        self.shipper = shipper
        self.pipeline = pipeline
        self.fidelity = fidelity
        self.certificates = certificates
        self.running = running
        self.logger = logger
        self.services = services
        self.hasAdmin = config.admin != nil
    }

    private static func shipperConfiguration(_ config: AgentConfig) throws -> Shipper.Configuration {
        let link = config.collector
        let serverName: String? =
            link.serverName
            ?? ((try? SocketAddress(ipAddress: link.address.host, port: 0)) == nil ? link.address.host : nil)
        return Shipper.Configuration(
            agentID: config.agent.id,
            address: link.address,
            serverName: serverName,
            tls: try LeptonTLS.clientContext(link.tls),
            reconnectInitial: link.reconnectInitial,
            reconnectMax: link.reconnectMax,
            shutdownTimeout: link.shutdownTimeout,
            maxBytesPerSecond: config.maxBytesPerSecond
        )
    }

    private static func watchedCertificates(_ config: AgentConfig) -> [(label: String, path: String)] {
        [("cert", config.collector.tls.cert), ("ca", config.collector.tls.ca)]
    }

    /// Applies a new, already validated configuration to the running agent: sources and their processors
    /// (changed ones restart, sealing what they hold first), batch settings, and the collector link (address,
    /// certificates, CA, timings) for the next connection, leaving a healthy session alone. The certificates are
    /// loaded first: if they cannot be, nothing changes and the error is thrown. Returns the settings that
    /// changed but take effect only at the next start (agent id, state directory, spool, admin endpoint).
    ///
    /// The log level is the caller's (the process-wide handler's, which `--log-level` may pin).
    @discardableResult
    public func reload(to config: AgentConfig) throws -> [String] {
        var link = try Self.shipperConfiguration(config)
        let old = running.current
        // The spool's batches are numbered for this agent id: a new one waits for a restart.
        link.agentID = old.agent.id
        var needsRestart: [String] = []
        if config.agent != old.agent { needsRestart.append("agent") }
        if config.spool != old.spool { needsRestart.append("spool") }
        if config.admin != old.admin { needsRestart.append("admin") }
        shipper.settings.replace(link)
        certificates.watch(Self.watchedCertificates(config))
        pipeline.batch.replace(config.batch)
        pipeline.reload(sources: config.sources)
        fidelity.reload(config)
        running.replace(config)
        return needsRestart
    }

    /// Reads the configuration file again and applies it (``reload(to:)``), setting the log level to
    /// `logLevel` or the file's `log.level`. An invalid file (its error names file, line and key) or unreadable
    /// certificates leave the running configuration as it is; the error is logged. Returns whether it applied.
    @discardableResult
    public func reload(from path: String, logLevel: Logger.Level? = nil) -> Bool {
        reloadConfiguration(AgentConfig.self, from: path, logLevel: logLevel, logger: logger) { try reload(to: $0) }
    }

    /// The service group that runs the agent until SIGTERM/SIGINT (or `triggerGracefulShutdown()`), or until
    /// every source ended and everything was acknowledged.
    ///
    /// With a `notifier` (the executable passes one built from its environment) it also tells systemd when the
    /// agent serves, pings the watchdog while the spool answers, and says when it stops. With `reload`, SIGHUP
    /// runs it (the executable reloads its configuration file).
    public func serviceGroup(
        gracefulShutdownLimit: Duration,
        signals: [UnixSignal] = [.sigterm, .sigint],
        notifier: SystemdNotifier? = nil,
        reload: (@Sendable () async -> Void)? = nil,
        logger: Logger
    ) -> ServiceGroup {
        var services = services
        if let reload {
            services.append(.init(service: ReloadService(notifier: notifier, reload: reload)))
        }
        if let notifier {
            let spool = spool
            let adminBound = hasAdmin ? adminBound : nil
            let notify = SystemdNotifyService(
                notifier: notifier,
                ready: { _ = await adminBound?.value },
                healthy: {
                    _ = await spool.heldBatches
                    return true
                },
                logger: logger
            )
            services.append(.init(service: notify))
        }
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        configuration.gracefulShutdownSignals = signals
        configuration.maximumGracefulShutdownDuration = gracefulShutdownLimit
        return ServiceGroup(configuration: configuration)
    }
}
