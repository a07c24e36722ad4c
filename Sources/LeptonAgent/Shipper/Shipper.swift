import AsyncAlgorithms
import LeptonCore
import LeptonRuntime
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// Keeps a session with the collector and ships the spool through it, reconnecting with capped
/// exponential backoff and full jitter (or after the delay a GOAWAY asks for).
///
/// On graceful shutdown it goes on shipping until the spool is empty or `shutdownTimeout` has passed.
public struct Shipper: Service {
    public struct Configuration: Sendable {
        public var agentID: String
        public var address: HostPort
        /// Name to verify in the collector's certificate; nil for an IP address (verified against the IP).
        public var serverName: String?
        public var tls: NIOSSLContext
        public var reconnectInitial: Duration
        public var reconnectMax: Duration
        public var shutdownTimeout: Duration
        /// A session that lasted this long resets the backoff.
        public var healthySession: Duration = .seconds(10)
        public var connectTimeout: Duration = .seconds(5)
        /// `bandwidth.max_bytes_per_second`: batches are paced to this many bytes per second; nil: no cap.
        public var maxBytesPerSecond: Int?
    }

    /// Read again at every connection attempt: a reload changes the certificates, the address or the timings
    /// for the next session and leaves a healthy one alone.
    let settings: Reloadable<Configuration>
    /// Whether a session is up right now (for `/readyz`).
    public let connection = ConnectionState()
    let spool: Spool
    let metrics: AgentMetrics
    let logger: Logger

    init(configuration: Configuration, spool: Spool, metrics: AgentMetrics, logger: Logger) {
        self.settings = Reloadable(configuration)
        self.spool = spool
        self.metrics = metrics
        self.logger = logger
        connection.pace(bytesPerSecond: configuration.maxBytesPerSecond)
    }

    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.connectLoop() }
            group.addTask {
                try? await gracefulShutdown()
                let drained = await self.drain(within: self.settings.current.shutdownTimeout)
                if drained {
                    self.logger.info("spool drained")
                } else {
                    let left = await self.spool.heldBatches
                    self.logger.info(
                        "shutdown timeout: batches stay in the spool for the next start",
                        metadata: ["batches": "\(left)"]
                    )
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private func drain(within timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.spool.waitUntilEmpty()
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    private func connectLoop() async {
        var attempt = 0
        while !Task.isCancelled {
            metrics.connectionAttempts.increment()
            let configuration = settings.current
            let started = ContinuousClock.now
            let outcome = await ShipperConnection(
                configuration: configuration,
                spool: spool,
                state: connection,
                metrics: metrics,
                logger: logger
            ).run()
            connection.set(false, metrics: metrics)
            if ContinuousClock.now - started >= configuration.healthySession { attempt = 0 }
            let delay: Duration
            switch outcome {
            case .retryAfter(let wanted):
                delay = wanted + Self.jitter(upTo: wanted / 2)
            case .failed:
                delay = Self.jitter(
                    upTo: Self.backoffCeiling(
                        attempt: attempt,
                        initial: configuration.reconnectInitial,
                        max: configuration.reconnectMax
                    )
                )
                attempt += 1
            }
            logger.debug("reconnecting", metadata: ["delay_ms": "\(delay.milliseconds)"])
            try? await Task.sleep(for: delay)
        }
    }

    /// `min(max, initial · 2^attempt)`.
    static func backoffCeiling(attempt: Int, initial: Duration, max: Duration) -> Duration {
        let factor = 1 << Swift.min(attempt, 30)
        let ceiling = initial * factor
        return ceiling > max ? max : ceiling
    }

    /// A uniformly random duration in `[0, bound]` ("full jitter").
    static func jitter(upTo bound: Duration) -> Duration {
        let milliseconds = bound.milliseconds
        guard milliseconds > 0 else { return .zero }
        return .milliseconds(Int64.random(in: 0...milliseconds))
    }
}

/// Whether the agent has a welcomed session with the collector.
public final class ConnectionState: Sendable {
    /// The collector's advice in its last ACK (wire protocol §5.3).
    struct Advice: Hashable, Sendable {
        /// The agent's fair rate, BATCH payload bytes per second.
        var bytesPerSecond: UInt64
        /// The store cannot absorb more than it does.
        var saturated: Bool
    }

    private let up = Atomic<Bool>(false)
    private let latestAdvice = Mutex<Advice?>(nil)
    /// `bandwidth.max_bytes_per_second` in force (0: none).
    private let cap = Atomic<Int>(0)

    public var isUp: Bool { up.load(ordering: .relaxed) }

    /// The bandwidth cap in force: the one the current (or last) session paces to; a reload's new cap takes effect
    /// with the next session. Nil without a cap.
    var bandwidthCap: Int? {
        let value = cap.load(ordering: .relaxed)
        return value > 0 ? value : nil
    }

    /// A session paces to `bytesPerSecond` (nil: no cap).
    func pace(bytesPerSecond: Int?) {
        cap.store(bytesPerSecond ?? 0, ordering: .relaxed)
    }

    /// The advice of the session's last ACK; nil while disconnected or before the collector advised anything.
    var advice: Advice? { latestAdvice.withLock { $0 } }

    func set(_ value: Bool, metrics: AgentMetrics) {
        up.store(value, ordering: .relaxed)
        metrics.connected.set(Int64(value ? 1 : 0))
        if !value { latestAdvice.withLock { $0 = nil } }
    }

    /// Keeps an ACK's advice (an advised rate of 0 means none).
    func advise(bytesPerSecond: UInt64, saturated: Bool, metrics: AgentMetrics) {
        latestAdvice.withLock {
            $0 = bytesPerSecond > 0 ? Advice(bytesPerSecond: bytesPerSecond, saturated: saturated) : nil
        }
        metrics.advisedBytesPerSecond.set(Int64(clamping: bytesPerSecond))
        metrics.collectorSaturated.set(Int64(saturated ? 1 : 0))
    }
}
