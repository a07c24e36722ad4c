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
            metrics: metrics,
            logger: logger
        )
        let link = config.collector
        let serverName: String? =
            link.serverName
            ?? ((try? SocketAddress(ipAddress: link.address.host, port: 0)) == nil ? link.address.host : nil)
        let shipper = Shipper(
            configuration: .init(
                agentID: config.agent.id,
                address: link.address,
                serverName: serverName,
                tls: try LeptonTLS.clientContext(link.tls),
                reconnectInitial: link.reconnectInitial,
                reconnectMax: link.reconnectMax,
                shutdownTimeout: link.shutdownTimeout
            ),
            spool: spool,
            metrics: metrics,
            logger: logger
        )
        let inputs: [AgentPipeline.Input] = config.sources.map { source in
            AgentPipeline.Input(
                source: makeSource(
                    source,
                    resume: { [name = source.name] in await spool.checkpoints(source: name) },
                    standardInput: standardInput,
                    metrics: metrics,
                    logger: logger
                ),
                policy: source.whenFull,
                processors: source.processors
            )
        }
        let pipeline = AgentPipeline(
            inputs: inputs,
            batch: config.batch,
            spool: spool,
            metrics: metrics,
            logger: logger,
            hostname: hostName()
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let admin = config.admin {
            let http = AdminServer.make(
                listen: admin.listen,
                metrics: metrics.registry,
                ready: { shipper.connection.isUp },
                logger: logger,
                bound: adminBound
            )
            services.append(.init(service: http))
        }
        let certificates = CertificateWatch(
            files: [("cert", link.tls.cert), ("ca", link.tls.ca)],
            registry: metrics.registry,
            metricPrefix: "lepton_agent",
            logger: logger
        )
        services.append(.init(service: certificates))
        services.append(.init(service: SpoolService(spool: spool, policy: config.spool.fsync)))
        services.append(.init(service: shipper))
        services.append(.init(service: pipeline, successTerminationBehavior: .gracefullyShutdownGroup))
        self.metrics = metrics
        self.spool = spool
        self.services = services
        self.hasAdmin = config.admin != nil
    }

    /// The service group that runs the agent until SIGTERM/SIGINT (or `triggerGracefulShutdown()`), or until
    /// every source ended and everything was acknowledged.
    ///
    /// With a `notifier` (the executable passes one built from its environment) it also tells systemd when the
    /// agent serves, pings the watchdog while the spool answers, and says when it stops.
    public func serviceGroup(
        gracefulShutdownLimit: Duration,
        signals: [UnixSignal] = [.sigterm, .sigint],
        notifier: SystemdNotifier? = nil,
        logger: Logger
    ) -> ServiceGroup {
        var services = services
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
