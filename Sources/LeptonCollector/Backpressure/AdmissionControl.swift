import Synchronization

/// Admits new sessions at `backpressure.admission.sessions_per_second` (after a burst), so that thousands of agents
/// reconnecting at once (after a collector restart or a network cut) are spread over the following seconds instead
/// of all handshaking, loading their high-water marks and resending at the same moment.
///
/// A session over the rate is told to come back at its turn: refused agents get consecutive slots 1/rate apart, and
/// the GOAWAY `overloaded` of each carries the wait until its slot (the agent adds up to half again as jitter).
final class AdmissionControl: Sendable {
    private struct State {
        var tokens: Double
        var updatedAt: ContinuousClock.Instant
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

    init(perSecond: Int, burst: Int, now: ContinuousClock.Instant = .now) {
        self.perSecond = Double(max(1, perSecond))
        self.burst = Double(max(1, burst))
        state = Mutex(State(tokens: Double(max(1, burst)), updatedAt: now, nextSlot: now))
    }

    /// nil when the session is admitted; else how long it should wait before reconnecting.
    func admit(now: ContinuousClock.Instant = .now) -> Duration? {
        state.withLock { state in
            let elapsed = max(0, (now - state.updatedAt).inSeconds)
            state.tokens = min(burst, state.tokens + elapsed * perSecond)
            state.updatedAt = now
            if state.tokens >= 1 {
                state.tokens -= 1
                return nil
            }
            state.nextSlot = max(state.nextSlot, now) + .seconds(1 / perSecond)
            let wait = state.nextSlot - now
            return min(Self.maximumRetry, max(Self.minimumRetry, wait))
        }
    }
}
