/// A `rate_limit` processor's settings: a token bucket per series, refilled by wall-clock time.
public struct RateLimitConfig: Sendable, Hashable {
    /// `per_second:` tokens added per second; each value passed takes one.
    public var perSecond: Double
    /// `burst:` the bucket's size: how many values pass at once after a quiet period (default `ceil(per_second)`).
    public var burst: Int

    /// A nil `burst` means `ceil(perSecond)`, at least 1.
    public init(perSecond: Double, burst: Int? = nil) {
        self.perSecond = perSecond
        self.burst = burst ?? Self.defaultBurst(perSecond: perSecond)
    }

    /// `ceil(perSecond)`, between 1 and one billion.
    public static func defaultBurst(perSecond: Double) -> Int {
        let rounded = perSecond.rounded(.up)
        guard rounded >= 1 else { return 1 }
        return rounded < 1e9 ? Int(rounded) : 1_000_000_000
    }

    static let keys: Set<String> = ["per_second", "burst"]

    init(_ map: ConfigMapping) throws(ConfigError) {
        self.init(perSecond: try map.required("per_second").positiveFiniteNumber())
        if let node = map.optional("burst") {
            burst = try node.int()
            if burst < 1 { throw node.error("must be at least 1") }
        }
    }
}
