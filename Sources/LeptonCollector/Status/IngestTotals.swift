import Synchronization

/// Running totals of what the collector stored: records and wire bytes (compressed) and raw bytes, read by the
/// status page's history.
public final class IngestTotals: Sendable {
    private let counts = Mutex<(records: Int64, compressed: Int64, raw: Int64)>((0, 0, 0))

    public init() {}

    func add(records: Int, compressedBytes: Int, rawBytes: Int) {
        counts.withLock {
            $0.records += Int64(records)
            $0.compressed += Int64(compressedBytes)
            $0.raw += Int64(rawBytes)
        }
    }

    public var current: (records: Int64, compressed: Int64, raw: Int64) { counts.withLock { $0 } }
}
