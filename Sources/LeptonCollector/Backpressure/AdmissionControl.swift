import LeptonCore
import Synchronization

/// Admits new sessions at `backpressure.admission.sessions_per_second` (after a burst), so that thousands of agents
/// reconnecting at once (after a collector restart or a network cut) are spread over the following seconds instead
/// of all handshaking, loading their high-water marks and resending at the same moment.
///
/// A session over the rate is told to come back at its turn: refused agents get consecutive slots 1/rate apart, and
/// the GOAWAY `overloaded` of each carries the wait until its slot (the agent adds up to half again as jitter).
final class AdmissionControl: Sendable {
    private struct State {
        /// One token per session, times from `origin`.
        var bucket: TokenBucket
        /// The next free slot for a refused session.
        var nextSlot: ContinuousClock.Instant
    }

    let perSecond: Double
    let burst: Double
    /// Retry-afters are at least this long, so a refused agent does not come straight back.
    static let minimumRetry: Duration = .milliseconds(500)
    /// And at most this long.
    static let maximumRetry: Duration = .seconds(120)
    private let state: Mutex<State>
    private let origin: ContinuousClock.Instant

    init(perSecond: Int, burst: Int, now: ContinuousClock.Instant = .now) {
        self.perSecond = Double(max(1, perSecond))
        self.burst = Double(max(1, burst))
        origin = now
        state = Mutex(State(bucket: TokenBucket(perSecond: self.perSecond, burst: self.burst), nextSlot: now))
    }

    /// nil when the session is admitted; else how long it should wait before reconnecting.
    func admit(now: ContinuousClock.Instant = .now) -> Duration? {
        state.withLock { state in
            guard state.bucket.take(1, now: now - origin) != nil else { return nil }
            state.nextSlot = max(state.nextSlot, now) + .seconds(1 / perSecond)
            let wait = state.nextSlot - now
            return min(Self.maximumRetry, max(Self.minimumRetry, wait))
        }
    }
}
