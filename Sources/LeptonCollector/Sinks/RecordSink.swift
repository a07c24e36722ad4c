import LeptonCore

/// Where the collector stores what agents send. A sink commits a batch and the agent's high-water
/// sequence number atomically, so a resent batch is never stored twice, even across restarts.
public protocol RecordSink: Sendable {
    /// The highest sequence number committed for `agent`, 0 when none.
    func highWater(agent: String) async throws -> UInt64

    /// Stores `records` as batch `sequence` of `agent` and raises its high-water mark, in one transaction.
    /// Returns `.duplicate` without storing when `sequence` is at or below the stored high-water mark.
    func commit(agent: String, sequence: UInt64, records: [Record]) async throws -> CommitOutcome

    /// Every agent that ever committed a batch.
    func agents() async throws -> [StoredAgent]

    /// Every stream with its record count and time range.
    func streams() async throws -> [StoredStream]

    /// Records of one stream ordered by time (then arrival), within `[from, to]`, at most `limit`.
    func query(agent: String, stream: String, from: Int64?, to: Int64?, limit: Int) async throws -> [Record]

    /// Flushes and releases the store.
    func close() async throws
}

public enum CommitOutcome: Hashable, Sendable {
    case stored
    case duplicate
}

public struct StoredAgent: Hashable, Sendable {
    public var id: String
    public var highWaterSequence: UInt64
    public var records: Int64
    /// Nanoseconds since the epoch of the last commit.
    public var lastCommit: Int64?

    public init(id: String, highWaterSequence: UInt64, records: Int64, lastCommit: Int64?) {
        self.id = id
        self.highWaterSequence = highWaterSequence
        self.records = records
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
