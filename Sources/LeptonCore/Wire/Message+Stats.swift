extension Message {
    /// Agent → collector, once established: the agent's per-source record counts since its process started.
    ///
    /// Counts are since `startedAt`. Per source, within one agent process:
    /// produced + recovered from the spool at start ≈ acknowledged + dropped + pending + records still in the
    /// batcher. Arrays rather than dictionaries, so that encoding is deterministic.
    public struct Stats: Hashable, Sendable {
        /// Most sources one frame may carry; more is `malformed_frame`.
        public static let maxSources = 1024
        /// Most drop reasons one source may carry; more is `malformed_frame`.
        public static let maxReasons = 32

        /// Wall-clock nanoseconds since the Unix epoch when the agent process started.
        public var startedAt: UInt64
        public var sources: [SourceStats]

        public init(startedAt: UInt64, sources: [SourceStats]) {
            self.startedAt = startedAt
            self.sources = sources
        }

        /// The counts of one source.
        public struct SourceStats: Hashable, Sendable {
            public var source: String
            /// Records read by the source.
            public var produced: UInt64
            /// Records in batches the collector acknowledged.
            public var acknowledged: UInt64
            /// Records held in the spool awaiting an ACK now (batches recovered at start included).
            public var pending: UInt64
            /// Records dropped, by reason.
            public var dropped: [Drop]

            public init(source: String, produced: UInt64, acknowledged: UInt64, pending: UInt64, dropped: [Drop]) {
                self.source = source
                self.produced = produced
                self.acknowledged = acknowledged
                self.pending = pending
                self.dropped = dropped
            }
        }

        /// Records dropped for one reason (`parse_error`, `spool_full`, …).
        public struct Drop: Hashable, Sendable {
            public var reason: String
            public var count: UInt64

            public init(reason: String, count: UInt64) {
                self.reason = reason
                self.count = count
            }
        }
    }
}
