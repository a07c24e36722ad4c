import LeptonCore

/// Where the collector stores what agents send. A sink commits a batch and the agent's high-water
/// sequence number atomically, so a resent batch is never stored twice, even across restarts.
public protocol RecordSink: Sendable {
    /// Waits until the store can be used (reachable, its schema up to date) and throws why not; a store opened in
    /// its initialiser returns at once.
    func open() async throws

    /// The highest sequence number committed for `agent`, 0 when none.
    func highWater(agent: String) async throws -> UInt64

    /// Stores `records` as batch `sequence` of `agent` and raises its high-water mark, in one transaction,
    /// together with the agent's counters (`StoredAgent`).
    /// Returns `.duplicate` without storing when `sequence` is at or below the stored high-water mark (and
    /// counts it in `StoredAgent.duplicates`, in the same transaction).
    func commit(agent: String, sequence: UInt64, records: [Record]) async throws -> CommitOutcome

    /// Counts a resent batch that the session itself recognised as at or below the high-water mark, so
    /// `commit` was never called for it: adds 1 to `StoredAgent.duplicates`.
    func recordDuplicate(agent: String) async throws

    /// Every agent that ever committed a batch (or had a duplicate counted).
    func agents() async throws -> [StoredAgent]

    /// Every stream with its record count and time range.
    func streams() async throws -> [StoredStream]

    /// Records of one stream ordered by time (then arrival), within `[from, to]`, at most `limit`.
    func query(agent: String, stream: String, from: Int64?, to: Int64?, limit: Int) async throws -> [Record]

    /// One stream's numbers in intervals of `step` nanoseconds starting within `[from, to]` (aligned to the
    /// epoch): from the coarsest rollup that divides `step`, else from the records.
    func series(agent: String, stream: String, from: Int64, to: Int64, step: Int64) async throws -> StoredSeries

    /// The newest record of every stream named `stream` (with any tags), one per agent and series.
    func latest(stream: String) async throws -> [LatestRecord]

    /// Deletes records older than `now - raw` and rollups older than their resolution's period (nil: keep),
    /// a stream and a few thousand rows at a time so ingest is never held up for long. Returns the rows deleted.
    func applyRetention(now: Int64, raw: Duration?, rollups: [Duration: Duration]) async throws -> Int

    /// Moves older records into compressed blocks (a store without them does nothing). Returns the records moved.
    func compact(now: Int64) async throws -> Int

    /// Flushes and releases the store.
    func close() async throws
}

extension RecordSink {
    public func open() async throws {}
}

/// The statistics of one interval of a stream: count, min, max, sum and last of its finite numbers.
public struct SeriesPoint: Hashable, Sendable {
    /// Start of the interval, nanoseconds since the epoch.
    public var time: Int64
    public var count: Int64
    public var min: Double
    public var max: Double
    public var sum: Double
    public var last: Double
    /// When `last` was taken.
    public var lastTime: Int64

    public init(time: Int64, count: Int64, min: Double, max: Double, sum: Double, last: Double, lastTime: Int64) {
        self.time = time
        self.count = count
        self.min = min
        self.max = max
        self.sum = sum
        self.last = last
        self.lastTime = lastTime
    }

    /// The point of one value taken at `time`, in the interval starting at `interval`.
    public init(value: Double, at time: Int64, interval: Int64) {
        self.init(time: interval, count: 1, min: value, max: value, sum: value, last: value, lastTime: time)
    }

    public var mean: Double { sum / Double(count) }

    /// Folds `other` (a later or earlier part of the same interval) into this point.
    public mutating func merge(_ other: SeriesPoint) {
        count += other.count
        min = Swift.min(min, other.min)
        max = Swift.max(max, other.max)
        sum += other.sum
        if other.lastTime >= lastTime {
            last = other.last
            lastTime = other.lastTime
        }
    }
}

/// A stream's points at one step, and what they were computed from.
public struct StoredSeries: Hashable, Sendable {
    /// The rollup resolution read, in nanoseconds; nil when computed from the records.
    public var resolution: Int64?
    public var points: [SeriesPoint]

    public init(resolution: Int64?, points: [SeriesPoint]) {
        self.resolution = resolution
        self.points = points
    }
}

/// The newest record of one stream of one agent.
public struct LatestRecord: Hashable, Sendable {
    public var agent: String
    public var stream: String
    public var record: Record

    public init(agent: String, stream: String, record: Record) {
        self.agent = agent
        self.stream = stream
        self.record = record
    }
}

public enum CommitOutcome: Hashable, Sendable {
    /// The batch was stored. `skipped` is how many sequence numbers lie between the previous high-water mark
    /// and this batch: 0 when it follows directly, and always 0 for an agent's first batch.
    case stored(skipped: UInt64)
    /// At or below the high-water mark: not stored again.
    case duplicate
}

/// One agent as the store knows it: its high-water mark and its delivery counters, all committed in the
/// same transaction as the batches they count.
///
/// Sequence gaps (`gaps`, `gapSequences`) are expected: an agent reserves sequence numbers in blocks of 4096
/// and continues after the reserved block when it restarts, so an agent restart usually leaves a gap. The numbers
/// of batches the agent dropped or lost are skipped too, and the collector cannot tell these apart. A gap is
/// therefore a hint, not a loss: loss is proven by the agent's own counters (`lepton_agent_records_dropped_total`,
/// records produced against `records` here).
public struct StoredAgent: Hashable, Sendable {
    public var id: String
    public var highWaterSequence: UInt64
    /// Batches stored.
    public var batches: Int64
    /// Records stored.
    public var records: Int64
    /// Resent batches at or below the high-water mark: acknowledged, not stored again.
    public var duplicates: Int64
    /// Stored batches whose sequence number was more than one above the previous high-water mark
    /// (the first batch of an agent never counts).
    public var gaps: Int64
    /// Sequence numbers skipped by those jumps, in total.
    public var gapSequences: Int64
    /// Nanoseconds since the epoch of the last commit.
    public var lastCommit: Int64?

    public init(
        id: String,
        highWaterSequence: UInt64,
        batches: Int64,
        records: Int64,
        duplicates: Int64,
        gaps: Int64,
        gapSequences: Int64,
        lastCommit: Int64?
    ) {
        self.id = id
        self.highWaterSequence = highWaterSequence
        self.batches = batches
        self.records = records
        self.duplicates = duplicates
        self.gaps = gaps
        self.gapSequences = gapSequences
        self.lastCommit = lastCommit
    }
}

public struct StoredStream: Hashable, Sendable {
    public var agent: String
    public var stream: String
    public var records: Int64
    public var first: Int64?
    public var last: Int64?

    public init(agent: String, stream: String, records: Int64, first: Int64?, last: Int64?) {
        self.agent = agent
        self.stream = stream
        self.records = records
        self.first = first
        self.last = last
    }
}
