import LeptonCore

/// A store wrapped by another: every call goes to `wrapped`, except those the wrapper implements itself
/// (``ThrottledSink`` paces `commit`; the tests' `FlakySink` fails or delays it).
public protocol ForwardingSink: RecordSink {
    /// The store the calls go to.
    var wrapped: any RecordSink { get }
}

extension ForwardingSink {
    public func open() async throws { try await wrapped.open() }
    public func highWater(agent: String) async throws -> UInt64 { try await wrapped.highWater(agent: agent) }

    public func commit(agent: String, sequence: UInt64, records: [Record]) async throws -> CommitOutcome {
        try await wrapped.commit(agent: agent, sequence: sequence, records: records)
    }

    public func recordDuplicate(agent: String) async throws { try await wrapped.recordDuplicate(agent: agent) }
    public func agents() async throws -> [StoredAgent] { try await wrapped.agents() }
    public func streams() async throws -> [StoredStream] { try await wrapped.streams() }

    public func query(agent: String, stream: String, from: Int64?, to: Int64?, limit: Int) async throws -> [Record] {
        try await wrapped.query(agent: agent, stream: stream, from: from, to: to, limit: limit)
    }

    public func series(agent: String, stream: String, from: Int64, to: Int64, step: Int64) async throws -> StoredSeries
    {
        try await wrapped.series(agent: agent, stream: stream, from: from, to: to, step: step)
    }

    public func latest(stream: String) async throws -> [LatestRecord] { try await wrapped.latest(stream: stream) }

    public func applyRetention(now: Int64, raw: Duration?, rollups: [Duration: Duration]) async throws -> Int {
        try await wrapped.applyRetention(now: now, raw: raw, rollups: rollups)
    }

    public func compact(now: Int64) async throws -> Int { try await wrapped.compact(now: now) }
    public func close() async throws { try await wrapped.close() }
}
