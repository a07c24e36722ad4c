/// A token bucket without I/O or a clock of its own: the agent paces bytes onto a metered link with it
/// (`bandwidth.max_bytes_per_second`), the collector admits new sessions (`backpressure.admission`).
///
/// Times are `Duration`s since an arbitrary origin chosen by the caller (a monotonic clock's reading), so the
/// bucket can be driven by a test clock and tested as a pure value. Tokens (bytes, sessions) refill continuously at
/// the rate, up to `burst`.
public struct TokenBucket: Sendable {
    /// Tokens added per second of elapsed time.
    public private(set) var perSecond: Double
    /// The most tokens the bucket holds: how many may be taken back to back after a quiet spell.
    public let burst: Double
    /// Tokens that may be taken now; negative after an oversized request (a debt paid back by refilling).
    public private(set) var tokens: Double
    /// The latest time seen, from which the next refill is counted; nil until the first request, because the
    /// bucket starts full and there is nothing to refill before then.
    private var refilledAt: Duration?

    /// Slack in the comparison so that waiting exactly the returned duration always suffices, whatever rounding
    /// the floating-point refill did. A millionth of a token cannot matter.
    private static let tolerance = 1e-6

    /// A full bucket: the first `burst` tokens may be taken at once.
    ///
    /// Both values must be positive; configuration validation rejects anything else.
    public init(perSecond: Double, burst: Double) {
        precondition(perSecond > 0, "a token bucket needs a positive rate")
        precondition(burst > 0, "a token bucket needs a positive burst")
        self.perSecond = perSecond
        self.burst = burst
        self.tokens = burst
    }

    /// Takes `amount` tokens if available at `now` and returns nil; else takes nothing and returns how long until
    /// they are.
    ///
    /// A request larger than `burst` is allowed once the bucket is full (it then goes negative), so a batch bigger
    /// than the burst is never stuck forever; the debt delays whatever follows it instead. A `now` earlier than a
    /// previous one (a clock stepping back) adds no tokens, and the later time stays the reference, so the same
    /// interval is never credited twice.
    public mutating func take(_ amount: Int, now: Duration) -> Duration? {
        refill(now: now)
        guard amount > 0 else { return nil }
        let wanted = Double(amount)
        // An oversized request waits for a full bucket, never for more than the bucket can hold.
        let needed = min(wanted, burst)
        if tokens + Self.tolerance >= needed {
            tokens -= wanted
            return nil
        }
        let nanoseconds = ((needed - tokens) * 1e9 / perSecond).rounded(.up)
        // About 31 years: a bound that keeps the conversion to Int64 safe for any rate.
        return .nanoseconds(Int64(min(nanoseconds, 1e18)))
    }

    /// Changes the rate (a configuration reload) and keeps the tokens already earned.
    ///
    /// Time since the last request is credited at the new rate when the next one comes; the bucket has no clock
    /// to settle it at the old rate first. The rate must be positive.
    public mutating func setRate(_ perSecond: Double) {
        precondition(perSecond > 0, "a token bucket needs a positive rate")
        self.perSecond = perSecond
    }

    /// Adds the tokens earned since the last time seen, capped at `burst`.
    private mutating func refill(now: Duration) {
        guard let refilledAt else {
            self.refilledAt = now
            return
        }
        guard now > refilledAt else { return }
        let elapsed = Self.nanoseconds(now - refilledAt)
        // Multiplying before dividing keeps round numbers (1000 B/s over 100 ms) exact.
        tokens = min(burst, tokens + elapsed * perSecond / 1e9)
        self.refilledAt = now
    }

    /// A duration in nanoseconds, as a Double so that no length of time can overflow it.
    private static func nanoseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1e9 + Double(attoseconds / 1_000_000_000)
    }
}
