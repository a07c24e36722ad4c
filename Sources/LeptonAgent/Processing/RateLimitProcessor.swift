import LeptonCore

/// A token bucket per series (`rate_limit`): the bucket holds up to `burst` tokens, refills at `per_second` by
/// wall-clock time (`now`), and each value passed takes a token. Values without a token count as `rate_limited`.
struct RateLimitProcessor: Processor {
    static let reason = "rate_limited"

    struct Bucket {
        var tokens: Double
        /// Wall-clock time of the last refill.
        var refilledAt: Int64
    }

    /// Tokens per nanosecond.
    let rate: Double
    let burst: Double
    private(set) var buckets: [FieldSeries: Bucket] = [:]

    init(_ config: RateLimitConfig) {
        rate = config.perSecond / 1e9
        burst = Double(Swift.max(1, config.burst))
    }

    /// Whether a value read at `now` gets a token.
    static func take(_ bucket: inout Bucket?, now: Int64, rate: Double, burst: Double) -> Bool {
        var current = bucket ?? Bucket(tokens: burst, refilledAt: now)
        if now > current.refilledAt {
            let added = Double(ProcessorTime.elapsed(from: current.refilledAt, to: now)) * rate
            current.tokens = Swift.min(burst, current.tokens + added)
            current.refilledAt = now
        }
        // A little slack so that 10/s refilled for exactly 100ms yields a whole token despite rounding.
        let passes = current.tokens >= 1 - 1e-9
        if passes { current.tokens = Swift.max(0, current.tokens - 1) }
        bucket = current
        return passes
    }

    mutating func process(_ event: Event, now: Int64, into output: inout [Event], drops: inout ProcessorDrops) {
        let rate = self.rate
        let burst = self.burst
        let kept = event.keepingFields { field in
            if Self.take(&buckets[FieldSeries(event, field: field.name)], now: now, rate: rate, burst: burst) {
                return true
            }
            drops.add(stream: event.streamName(of: field.name), reason: Self.reason)
            return false
        }
        if let kept { output.append(kept) }
    }
}
