import LeptonAgent
import LeptonCore
import Logging
import Prometheus
import ServiceLifecycle

/// An agent running in this process, stopped by `stop()` (or ending by itself when its sources end).
public final class AgentHarness: Sendable {
    public let agent: Agent
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    public init(config: AgentConfig, standardInput: Int32 = 0, logger: Logger = testLogger("agent")) throws {
        let agent = try Agent(config: config, logger: logger, standardInput: standardInput)
        let group = agent.serviceGroup(gracefulShutdownLimit: .seconds(15), signals: [], logger: logger)
        self.agent = agent
        self.group = group
        self.task = Task { try await group.run() }
    }

    /// A typical test agent: one source, short linger and fast reconnects.
    public static func config(
        id: String,
        pki: TestPKI,
        tlsAgent: String? = nil,
        collectorPort: Int,
        stateDirectory: String,
        sources: [SourceConfig],
        batch: BatchConfig = BatchConfig(maxRecords: 1000, maxBytes: 1 << 20, linger: .milliseconds(50))
    ) -> AgentConfig {
        AgentConfig(
            agent: AgentIdentity(id: id, stateDirectory: stateDirectory),
            collector: CollectorLink(
                address: HostPort(host: "127.0.0.1", port: collectorPort),
                tls: pki.agentTLS(tlsAgent ?? id),
                reconnectInitial: .milliseconds(50),
                reconnectMax: .milliseconds(500),
                shutdownTimeout: .seconds(5)
            ),
            sources: sources,
            batch: batch
        )
    }

    /// The agent's metrics now, as `/metrics` would show them.
    public func metrics() -> PrometheusText {
        var buffer: [UInt8] = []
        agent.metrics.registry.emit(into: &buffer)
        return PrometheusText(String(decoding: buffer, as: UTF8.self))
    }

    public func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }

    /// Waits for the agent to end by itself (e.g. stdin reached EOF and everything was acknowledged).
    public func finished() async throws {
        try await task.value
    }
}
