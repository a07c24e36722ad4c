import LeptonCollector
import LeptonCore
import Synchronization

/// The failure `FlakySink` injects into `commit`.
public struct FlakySinkError: Error, Hashable, CustomStringConvertible {
    public init() {}

    public var description: String { "injected store failure (FlakySink)" }
}

/// A store that fails or slows down on demand, for fault tests.
///
/// It wraps a real sink and forwards every call (``ForwardingSink``). `commit` first waits for the commit delay, then either throws
/// `FlakySinkError` without touching the wrapped sink (`failNextCommits`, `setFailing`) or forwards.
public final class FlakySink: ForwardingSink {
    private struct Faults {
        var failuresLeft = 0
        var failing = false
        var delay = Duration.zero
        var failedCommits = 0
    }

    public let wrapped: any RecordSink
    /// Guards the fault settings and the count of injected failures (never held across an `await`).
    private let faults = Mutex(Faults())

    public init(wrapping sink: any RecordSink) {
        wrapped = sink
    }

    /// The next `count` calls to `commit` throw; replaces any count still pending.
    public func failNextCommits(_ count: Int) {
        faults.withLock { $0.failuresLeft = max(count, 0) }
    }

    /// While `true`, every `commit` throws.
    public func setFailing(_ failing: Bool) {
        faults.withLock { $0.failing = failing }
    }

    /// Every later `commit` (failing or not) first sleeps this long; `.zero` turns the delay off.
    public func setCommitDelay(_ delay: Duration) {
        faults.withLock { $0.delay = delay }
    }

    /// Commits refused on purpose so far.
    public var failedCommits: Int {
        faults.withLock { $0.failedCommits }
    }

    public func commit(agent: String, sequence: UInt64, records: [Record]) async throws -> CommitOutcome {
        let delay = faults.withLock { $0.delay }
        if delay > .zero { try await Task.sleep(for: delay) }
        let fail = faults.withLock { faults in
            let fail = faults.failing || faults.failuresLeft > 0
            if faults.failuresLeft > 0 { faults.failuresLeft -= 1 }
            if fail { faults.failedCommits += 1 }
            return fail
        }
        if fail { throw FlakySinkError() }
        return try await wrapped.commit(agent: agent, sequence: sequence, records: records)
    }
}
