import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// A value replaced while others read it: settings a reload changes, read again at each use (a TLS context at
/// each new connection).
public final class Reloadable<Value: Sendable>: Sendable {
    private let state: Mutex<Value>

    public init(_ value: Value) {
        state = Mutex(value)
    }

    public var current: Value { state.withLock { $0 } }

    public func replace(_ value: Value) {
        state.withLock { $0 = value }
    }
}

/// Runs `reload` on every SIGHUP until the group shuts down, telling systemd (`RELOADING=1`, then `READY=1`)
/// so that `systemctl reload` waits for it.
public struct ReloadService: Service {
    let notifier: SystemdNotifier?
    let reload: @Sendable () async -> Void

    public init(notifier: SystemdNotifier?, reload: @escaping @Sendable () async -> Void) {
        self.notifier = notifier
        self.reload = reload
    }

    public func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let microseconds = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
            notifier?.notify("RELOADING=1\nMONOTONIC_USEC=\(microseconds)\nSTATUS=reloading")
            await reload()
            notifier?.notify("READY=1\nSTATUS=serving")
        }
    }
}
