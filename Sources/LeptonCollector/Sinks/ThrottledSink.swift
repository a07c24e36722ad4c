import LeptonCore
import Synchronization

/// A store that takes at most `bytesPerSecond` of records (`storage.max_bytes_per_second`), for experiments with a
/// saturated collector: commits queue for their turn like writes to a slow disk, so commit latency grows with the
/// queue, as it does on a real store at its limit. Every other call is forwarded.
public final class ThrottledSink: ForwardingSink {
    public let wrapped: any RecordSink
    /// The rate, and when the throttled store is free again (the end of the last reserved commit).
    private let state: Mutex<(bytesPerSecond: Double, freeAt: ContinuousClock.Instant)>

    public init(_ wrapped: any RecordSink, bytesPerSecond: Int) {
        self.wrapped = wrapped
        state = Mutex((Double(bytesPerSecond), .now))
    }

    /// Changes the rate for commits from now on (experiments: the capacity halved or doubled).
    public func setBytesPerSecond(_ rate: Int) {
        state.withLock { $0.bytesPerSecond = Double(rate) }
    }

    /// The size a record counts for: 8 bytes of timestamp, and 8 for a number or the text's UTF-8 length.
    public static func size(_ records: [Record]) -> Int {
        records.reduce(0) { total, record in
            switch record.value {
            case .number: total + 16
            case .text(let text): total + 8 + text.utf8.count
            }
        }
    }

    public func commit(agent: String, sequence: UInt64, records: [Record]) async throws -> CommitOutcome {
        let size = Double(Self.size(records))
        let done = state.withLock { state in
            state.freeAt = max(state.freeAt, .now) + .seconds(size / state.bytesPerSecond)
            return state.freeAt
        }
        try await Task.sleep(until: done, clock: .continuous)
        return try await wrapped.commit(agent: agent, sequence: sequence, records: records)
    }
}
