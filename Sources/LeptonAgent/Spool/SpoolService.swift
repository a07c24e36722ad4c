import AsyncAlgorithms
import LeptonCore
import ServiceLifecycle

/// Flushes the spool to disk every `fsync_interval` under the `interval` policy, and syncs and closes it when
/// the agent stops. It runs before the shipper in the service list, so it stops after the shipper drained.
struct SpoolService: Service {
    let spool: Spool
    let policy: FsyncPolicy

    func run() async throws {
        if case .interval(let interval) = policy {
            for await _ in AsyncTimerSequence(interval: interval, clock: .continuous).cancelOnGracefulShutdown() {
                await spool.sync()
            }
        } else {
            try? await gracefulShutdown()
        }
        await spool.close()
    }
}
