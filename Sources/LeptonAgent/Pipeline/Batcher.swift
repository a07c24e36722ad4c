import LeptonCore

/// Groups records into batches, sealed when `maxRecords` or `maxBytes` is reached or when the oldest
/// record has waited `linger`. Pure: the pipeline feeds it records and clock ticks.
public struct Batcher: Sendable {
    public var maxRecords: Int
    public var maxBytes: Int
    public var linger: Duration

    private var records: [Record] = []
    private var bytes = 0
    private var oldest: ContinuousClock.Instant?

    public init(maxRecords: Int, maxBytes: Int, linger: Duration) {
        self.maxRecords = maxRecords
        self.maxBytes = maxBytes
        self.linger = linger
    }

    public var isEmpty: Bool { records.isEmpty }

    /// Adds records; returns every batch that became full.
    public mutating func add(_ incoming: [Record], now: ContinuousClock.Instant) -> [[Record]] {
        var sealed: [[Record]] = []
        for record in incoming {
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
        return sealed
    }

    /// The pending batch if its oldest record has waited `linger` by `now`.
    public mutating func tick(now: ContinuousClock.Instant) -> [Record]? {
        guard let oldest, now - oldest >= linger else { return nil }
        return take()
    }

    /// Whatever is pending, sealed now.
    public mutating func flush() -> [Record]? {
        records.isEmpty ? nil : take()
    }

    private mutating func take() -> [Record] {
        defer {
            records = []
            records.reserveCapacity(min(maxRecords, 4096))
            bytes = 0
            oldest = nil
        }
        return records
    }
}
