import LeptonCollector
import LeptonCore
import Logging
import NIOCore
import ServiceLifecycle

/// A collector running in this process on loopback (port 0 unless told), stopped by `stop()`.
public final class CollectorHarness: Sendable {
    public let collector: Collector
    public let agentPort: Int
    public let httpPort: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    /// Starts a collector with a SQLite store at `databasePath` (or `sink`), and waits until both ports are bound.
    public init(
        pki: TestPKI,
        databasePath: String,
        agentPort: Int = 0,
        limits: CollectorConfig.Limits = .init(),
        backpressure: BackpressureConfig = .init(),
        sink: (any RecordSink)? = nil,
        logger: Logger = testLogger("collector")
    ) async throws {
        let config = CollectorConfig(
            listen: HostPort(host: "127.0.0.1", port: agentPort),
            tls: pki.collectorTLS,
            httpListen: HostPort(host: "127.0.0.1", port: 0),
            storage: .sqlite(path: databasePath),
            limits: limits,
            backpressure: backpressure
        )
        let collector = try Collector(config: config, logger: logger, sink: sink)
        let group = collector.serviceGroup(shutdownTimeout: .seconds(10), signals: [], logger: logger)
        self.collector = collector
        self.group = group
        self.task = Task { try await group.run() }
        self.agentPort = await collector.server.bound.value.port ?? 0
        self.httpPort = await collector.httpBound.value.port ?? 0
    }

    /// Graceful shutdown: in-flight batches are committed, agents get GOAWAY, the store is closed.
    public func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    /// The value of one series in `/metrics`, e.g. `lepton_collector_rejects_total{reason="tls_handshake"}`.
    public func metric(_ series: String) async throws -> Double? {
        try await get("/metrics").metric(series)
    }

    /// GET on the collector's HTTP endpoint.
    public func get(_ path: String) async throws -> HTTPResponse {
        try await HTTPResponse.get(port: httpPort, path: path)
    }
}
