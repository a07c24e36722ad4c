import LeptonCore
import LeptonRuntime
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// A whole agent built from its configuration: admin endpoint, shipper and pipeline, as services in
/// dependency order (sources stop first, then the shipper drains, the admin endpoint answers until the end).
public struct Agent: Sendable {
    public let metrics: AgentMetrics
    public let adminBound = Rendezvous<SocketAddress>()
    let outbox: Outbox
    let services: [ServiceGroupConfiguration.ServiceConfiguration]

    public init(config: AgentConfig, logger: Logger, standardInput: Int32 = 0) throws {
        let metrics = AgentMetrics()
        let outbox = try Outbox(
            stateDirectory: config.agent.stateDirectory,
            maxBytes: config.collector.maxUnackedBytes,
            metrics: metrics
        )
        let link = config.collector
        let serverName: String? =
            link.serverName ?? ((try? SocketAddress(ipAddress: link.address.host, port: 0)) == nil ? link.address.host : nil)
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
            outbox: outbox,
            metrics: metrics,
            logger: logger
        )
        let sources: [any Source] = config.sources.map { source in
            switch source.kind {
            case .file(let path, let parser):
                return FileTailSource(name: source.name, path: path, parser: LineParser(kind: parser), metrics: metrics, logger: logger)
            case .sensor(let paths, let interval):
                return SensorSource(name: source.name, paths: paths, interval: interval, metrics: metrics, logger: logger)
            case .stdin(let parser):
                return StdinSource(name: source.name, parser: LineParser(kind: parser), metrics: metrics, logger: logger, descriptor: standardInput)
            }
        }
        let pipeline = AgentPipeline(sources: sources, batch: config.batch, outbox: outbox, metrics: metrics, logger: logger)
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
        services.append(.init(service: shipper))
        services.append(.init(service: pipeline, successTerminationBehavior: .gracefullyShutdownGroup))
        self.metrics = metrics
        self.outbox = outbox
        self.services = services
    }

    /// The service group that runs the agent until SIGTERM/SIGINT (or `triggerGracefulShutdown()`), or until
    /// every source ended and everything was acknowledged.
    public func serviceGroup(
        gracefulShutdownLimit: Duration,
        signals: [UnixSignal] = [.sigterm, .sigint],
        logger: Logger
    ) -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        configuration.gracefulShutdownSignals = signals
        configuration.maximumGracefulShutdownDuration = gracefulShutdownLimit
        return ServiceGroup(configuration: configuration)
    }
}
