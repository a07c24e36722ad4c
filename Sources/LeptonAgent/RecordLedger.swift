import Synchronization

/// Per-source record counts kept next to the Prometheus counters (which cannot be read back), so that the agent
/// can report them to the collector in STATS frames. Counts start at 0 with the process.
final class RecordLedger: Sendable {
    struct Counts: Hashable, Sendable {
        /// Records read by the source.
        var produced: UInt64 = 0
        /// Records in batches the collector acknowledged.
        var acknowledged: UInt64 = 0
        /// Records dropped, by reason.
        var dropped: [String: UInt64] = [:]
    }

    /// Guards the counts of every source seen so far, by source name. Taken once per counted event (a chunk of
    /// lines, a sensor tick, a batch): a few thousand times a second at most.
    private let counts = Mutex<[String: Counts]>([:])

    func add(produced count: Int, source: String) {
        let count = UInt64(max(count, 0))
        counts.withLock { $0[source, default: Counts()].produced &+= count }
    }

    func add(acknowledged count: Int, source: String) {
        let count = UInt64(max(count, 0))
        counts.withLock { $0[source, default: Counts()].acknowledged &+= count }
    }

    func add(dropped count: Int, source: String, reason: String) {
        let count = UInt64(max(count, 0))
        counts.withLock { $0[source, default: Counts()].dropped[reason, default: 0] &+= count }
    }

    /// The counts of every source seen so far.
    var snapshot: [String: Counts] {
        counts.withLock { $0 }
    }
}
