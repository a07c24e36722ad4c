extension Message {
    /// Agent → collector, once established: the agent's per-source record counts since its process started, and
    /// where each source with a fidelity ladder stands on it.
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
        /// Adaptive fidelity of the sources that have a ladder (`sources[].fidelity`); empty when none has one.
        public var fidelity: [SourceFidelity]

        public init(startedAt: UInt64, sources: [SourceStats], fidelity: [SourceFidelity] = []) {
            self.startedAt = startedAt
            self.sources = sources
            self.fidelity = fidelity
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

        /// Where one source stands on its fidelity ladder, and how long it stood on each rung.
        public struct SourceFidelity: Hashable, Sendable {
            /// Most rungs one ladder may carry; more is `malformed_frame`.
            public static let maxRungs = 32

            public var source: String
            /// Index of the current rung in `rungs` (0 = raw).
            public var level: UInt8
            /// The ladder, rung 0 first.
            public var rungs: [Rung]
            /// Records the ladder summarised or removed since the agent process started (a reduction, not a drop).
            public var reduced: UInt64

            public init(source: String, level: UInt8, rungs: [Rung], reduced: UInt64) {
                self.source = source
                self.level = level
                self.rungs = rungs
                self.reduced = reduced
            }

            /// The name of the rung the source is on; `level N` for a level beyond the ladder (a decoded frame has
            /// none).
            public var currentRung: String {
                Int(level) < rungs.count ? rungs[Int(level)].name : "level \(level)"
            }
        }

        /// One rung of a fidelity ladder.
        public struct Rung: Hashable, Sendable {
            /// How the agent describes the rung: `raw`, `deadband 0.5`, `aggregate 10s`, …
            public var name: String
            /// Milliseconds the source spent at this rung since the agent process started.
            public var milliseconds: UInt64

            public init(name: String, milliseconds: UInt64) {
                self.name = name
                self.milliseconds = milliseconds
            }
        }
    }
}
