import LeptonCore

/// Groups one source's records into batches, sealed when `maxRecords` or `maxBytes` is reached or when the
/// oldest record has waited `linger`. Pure: the pipeline feeds it records and clock ticks.
///
/// Records read from a file come with their end offsets, so every sealed batch knows the position just past
/// its last line: the tail checkpoint that is spooled with it.
struct Batcher: Sendable {
    struct Batch: Sendable {
        var records: [Record]
        /// Where the source may resume once this batch is safe, for records read from a file.
        var checkpoint: TailCheckpoint?
    }

    var maxRecords: Int
    var maxBytes: Int
    var linger: Duration

    private var records: [Record] = []
    private var bytes = 0
    private var oldest: ContinuousClock.Instant?
    private var checkpoint: TailCheckpoint?

    init(maxRecords: Int, maxBytes: Int, linger: Duration) {
        self.maxRecords = maxRecords
        self.maxBytes = maxBytes
        self.linger = linger
    }

    var isEmpty: Bool { records.isEmpty }

    /// Adds records (with their file positions, if read from a file); returns every batch that became full.
    mutating func add(_ incoming: [Record], positions: FilePositions? = nil, now: ContinuousClock.Instant) -> [Batch] {
        var sealed: [Batch] = []
        for (index, record) in incoming.enumerated() {
            let size = record.estimatedEncodedSize
            if !records.isEmpty && bytes + size > maxBytes {
                sealed.append(take())
            }
            if records.isEmpty { oldest = now }
            records.append(record)
            bytes += size
            if let positions {
                checkpoint = TailCheckpoint(file: positions.file, offset: positions.endOffsets[index])
            }
            if records.count >= maxRecords || bytes >= maxBytes {
                sealed.append(take())
            }
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
            checkpoint = nil
        }
        return Batch(records: records, checkpoint: checkpoint)
    }
}
