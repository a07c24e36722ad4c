import LeptonCore

/// Groups one source's records into batches, sealed when `maxRecords` or `maxBytes` is reached or when the
/// oldest record has waited `linger`. Pure: the pipeline feeds it records and clock ticks.
///
/// Records read from a file come with the end offset of the line they were made from, so every sealed batch
/// knows, for each file path its records came from, the position just past its last line there: the tail
/// checkpoints that are spooled with it.
struct Batcher: Sendable {
    struct Batch: Sendable {
        var records: [Record]
        /// Where the source may resume once this batch is safe: one position per path its records were read from.
        var checkpoints: [TailCheckpoint]
    }

    var maxRecords: Int
    var maxBytes: Int
    var linger: Duration

    private var records: [Record] = []
    private var bytes = 0
    private var oldest: ContinuousClock.Instant?
    private var checkpoints: [TailKey: TailCheckpoint] = [:]

    /// Paths one batch may carry positions for; a batch that reaches it is sealed.
    static let maxCheckpoints = 1024

    init(maxRecords: Int, maxBytes: Int, linger: Duration) {
        self.maxRecords = maxRecords
        self.maxBytes = maxBytes
        self.linger = linger
    }

    var isEmpty: Bool { records.isEmpty }

    /// Adds the records made from one input event (a line, a sensor file), then notes `checkpoint`, the file
    /// position just past that event; returns every batch that became full.
    ///
    /// The records of one event stay in one batch whenever they fit in an empty batch, so a batch never ends
    /// halfway through an event: its checkpoint then covers exactly its records, and a restart from it neither
    /// skips nor repeats a line. (An event with more records than a whole batch holds is split; after a crash its
    /// first part may be sent twice.)
    mutating func add(
        _ group: [Record],
        checkpoint newCheckpoint: TailCheckpoint? = nil,
        now: ContinuousClock.Instant
    ) -> [Batch] {
        var sealed: [Batch] = []
        var size = 0
        for record in group { size += record.estimatedEncodedSize }
        if group.count <= maxRecords && size <= maxBytes {
            if !records.isEmpty && (records.count + group.count > maxRecords || bytes + size > maxBytes) {
                sealed.append(take())
            }
            if records.isEmpty && !group.isEmpty { oldest = now }
            records.append(contentsOf: group)
            bytes += size
        } else {
            for record in group {
                let size = record.estimatedEncodedSize
                if !records.isEmpty && bytes + size > maxBytes {
                    sealed.append(take())
                }
                if records.isEmpty { oldest = now }
                records.append(record)
                bytes += size
                if records.count >= maxRecords || bytes >= maxBytes {
                    sealed.append(take())
                }
            }
        }
        if let newCheckpoint { checkpoints[newCheckpoint.key] = newCheckpoint }
        if !records.isEmpty
            && (records.count >= maxRecords || bytes >= maxBytes || checkpoints.count >= Self.maxCheckpoints)
        {
            sealed.append(take())
        }
        return sealed
    }

    /// The pending batch if its oldest record has waited `linger` by `now`.
    mutating func tick(now: ContinuousClock.Instant) -> Batch? {
        guard let oldest, now - oldest >= linger else { return nil }
        return take()
    }

    /// Whatever is pending, sealed now.
    mutating func flush() -> Batch? {
        records.isEmpty ? nil : take()
    }

    private mutating func take() -> Batch {
        defer {
            records = []
            records.reserveCapacity(min(maxRecords, 4096))
            bytes = 0
            oldest = nil
            checkpoints = [:]
        }
        return Batch(records: records, checkpoints: Array(checkpoints.values))
    }
}
