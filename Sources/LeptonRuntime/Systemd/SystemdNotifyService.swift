import AsyncAlgorithms
import Logging
import ServiceLifecycle

/// Keeps systemd informed (`Type=notify`): `READY=1` once the program is really serving, `WATCHDOG=1` at half the
/// watchdog timeout while it is healthy, `STOPPING=1` when it starts shutting down.
///
/// Put it last in the service list: the group starts it after the others and tells it first when stopping.
public struct SystemdNotifyService: Service {
    let notifier: SystemdNotifier
    let ready: @Sendable () async -> Void
    let healthy: @Sendable () async -> Bool
    let logger: Logger

    /// - Parameters:
    ///   - ready: returns once the program serves (its listeners are bound).
    ///   - healthy: whether to ping the watchdog now; a check that hangs (a wedged actor) stops the pings, and
    ///     systemd restarts the service after `WatchdogSec`.
    public init(
        notifier: SystemdNotifier,
        ready: @escaping @Sendable () async -> Void,
        healthy: @escaping @Sendable () async -> Bool = { true },
        logger: Logger
    ) {
        self.notifier = notifier
        self.ready = ready
        self.healthy = healthy
        self.logger = logger
    }

    public func run() async throws {
        guard notifier.socketPath != nil else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown { await ready() }
        if !Task.isShuttingDownGracefully && !Task.isCancelled {
            notifier.notify("READY=1\nSTATUS=serving")
            logger.debug("told systemd: ready")
        }
        if let timeout = notifier.watchdogTimeout {
            var wasHealthy = true
            for await _ in AsyncTimerSequence(interval: timeout / 2, clock: .continuous).cancelOnGracefulShutdown() {
                let isHealthy = await healthy()
                if isHealthy { notifier.notify("WATCHDOG=1") }
                if isHealthy != wasHealthy {
                    if isHealthy {
                        logger.info("healthy again, watchdog pings resumed")
                    } else {
                        logger.warning("health check failed, watchdog pings withheld")
                    }
                }
                wasHealthy = isHealthy
            }
        } else {
            try? await gracefulShutdown()
        }
        notifier.notify("STOPPING=1\nSTATUS=stopping")
    }
}
