import Glibc

/// The collector's `backpressure` section: how it shares what its store absorbs among agents (credit granted in
/// ACKs at each agent's weighted fair rate, with advice), and how fast it admits new sessions.
public struct BackpressureConfig: Sendable, Hashable {
    /// One `weights` entry: agents whose id matches `pattern` (a glob: `*`, `?`, `[...]`) weigh `weight`.
    public struct Weight: Sendable, Hashable {
        public var pattern: String
        public var weight: Double

        public init(pattern: String, weight: Double) {
            self.pattern = pattern
            self.weight = weight
        }
    }

    /// How often the budget and the shares are recomputed and starved agents granted credit (`period`).
    public var period: Duration
    /// Bytes of batches received and not yet committed, at most (`max_queued_bytes`): a batch that would pass it
    /// waits before it is decoded, and its connection is not read meanwhile.
    public var maxQueuedBytes: Int
    /// Batches decoded and committed at once, at most (`max_concurrent_commits`); the others wait their turn in
    /// weighted fair order.
    public var maxConcurrentCommits: Int
    /// Commits slower than this mean the store is saturated (`target_commit_latency`).
    public var targetCommitLatency: Duration
    /// A ceiling on the shared budget, bytes/s (`max_bytes_per_second`); nil: as much as the store absorbs.
    public var maxBytesPerSecond: Int?
    /// Agent weights, first match wins (`weights`); agents matching none weigh 1.
    public var weights: [Weight]
    /// New sessions admitted per second (`admission.sessions_per_second`); more get GOAWAY `overloaded` with a
    /// retry-after that spreads them over the next seconds.
    public var sessionsPerSecond: Int
    /// Sessions admitted at once before the rate applies (`admission.burst`).
    public var sessionBurst: Int

    public static let defaultPeriod: Duration = .seconds(1)
    public static let defaultMaxQueuedBytes = 256 << 20
    public static let defaultMaxConcurrentCommits = 8
    public static let defaultTargetCommitLatency: Duration = .milliseconds(250)
    public static let defaultSessionsPerSecond = 500
    public static let defaultSessionBurst = 1_000

    public init(
        period: Duration = BackpressureConfig.defaultPeriod,
        maxQueuedBytes: Int = BackpressureConfig.defaultMaxQueuedBytes,
        maxConcurrentCommits: Int = BackpressureConfig.defaultMaxConcurrentCommits,
        targetCommitLatency: Duration = BackpressureConfig.defaultTargetCommitLatency,
        maxBytesPerSecond: Int? = nil,
        weights: [Weight] = [],
        sessionsPerSecond: Int = BackpressureConfig.defaultSessionsPerSecond,
        sessionBurst: Int = BackpressureConfig.defaultSessionBurst
    ) {
        self.period = period
        self.maxQueuedBytes = maxQueuedBytes
        self.maxConcurrentCommits = maxConcurrentCommits
        self.targetCommitLatency = targetCommitLatency
        self.maxBytesPerSecond = maxBytesPerSecond
        self.weights = weights
        self.sessionsPerSecond = sessionsPerSecond
        self.sessionBurst = sessionBurst
    }

    /// The weight of agent `id`: the first matching entry's, else 1.
    public func weight(of id: String) -> Double {
        weights.first { fnmatch($0.pattern, id, 0) == 0 }?.weight ?? 1
    }
}

extension BackpressureConfig {
    static let keys = [
        "period", "max_queued_bytes", "max_concurrent_commits", "target_commit_latency", "max_bytes_per_second",
        "weights", "admission",
    ]
    static let admissionKeys = ["sessions_per_second", "burst"]

    init(config node: ConfigNode) throws(ConfigError) {
        let map = try node.mapping(allowedKeys: Self.keys)
        self.init()
        if let value = map.optional("period") {
            period = try value.positiveDuration()
            if period < .milliseconds(100) || period > .seconds(60) {
                throw value.error("must be between 100ms and 60s")
            }
        }
        if let value = map.optional("max_queued_bytes") {
            maxQueuedBytes = try value.positiveByteSize()
        }
        if let value = map.optional("max_concurrent_commits") {
            maxConcurrentCommits = try value.int()
            guard (1...10_000).contains(maxConcurrentCommits) else { throw value.error("must be between 1 and 10000") }
        }
        if let value = map.optional("target_commit_latency") {
            targetCommitLatency = try value.positiveDuration()
        }
        if let value = map.optional("max_bytes_per_second") {
            maxBytesPerSecond = try value.positiveByteSize()
        }
        if let value = map.optional("weights") {
            for entry in try value.freeMapping() {
                let weight = try entry.value.finiteNumber()
                guard weight > 0, weight <= 1_000_000 else {
                    throw entry.value.error("a weight is a number greater than 0, at most 1000000")
                }
                weights.append(Weight(pattern: entry.key, weight: weight))
            }
        }
        if let value = map.optional("admission") {
            let admission = try value.mapping(allowedKeys: Self.admissionKeys)
            if let rate = admission.optional("sessions_per_second") {
                sessionsPerSecond = try rate.int()
                guard sessionsPerSecond >= 1 else { throw rate.error("must be at least 1") }
            }
            if let burst = admission.optional("burst") {
                sessionBurst = try burst.int()
                guard sessionBurst >= 1 else { throw burst.error("must be at least 1") }
            }
        }
    }
}
