import LeptonCore
import NIOCore

/// What both stores share: the block format of a stream's older records, the rollup arithmetic, and the merging of
/// sealed and head records.
enum StoreLayout {
    /// Records per block at most: a stream's head is sealed in blocks of this many.
    static let blockRecords = 4_096
    /// Records younger than this stay in the head unless a full block of them is waiting (nanoseconds).
    static let headAge: Int64 = 3_600 * 1_000_000_000

    /// `first` and `second` (each in time order) merged by time, `first`'s records first at equal times, cut at
    /// `limit`.
    static func merged(_ first: [LeptonCore.Record], _ second: [LeptonCore.Record], limit: Int) -> [LeptonCore.Record] {
        var result: [LeptonCore.Record] = []
        result.reserveCapacity(min(limit, first.count + second.count))
        var (i, j) = (0, 0)
        while result.count < limit && (i < first.count || j < second.count) {
            if j >= second.count || (i < first.count && first[i].timestamp <= second[j].timestamp) {
                result.append(first[i])
                i += 1
            } else {
                result.append(second[j])
                j += 1
            }
        }
        return result
    }

    /// A head row (time, then the number or the text) as a record of `series`. A stored NULL number is NaN (SQLite
    /// keeps NaN as NULL).
    static func record(time: Int64, value: Double?, text: String?, series: SeriesKey) -> LeptonCore.Record {
        LeptonCore.Record(
            stream: series.stream,
            tags: series.tags,
            timestamp: time,
            value: text.map { .text($0) } ?? .number(value ?? .nan)
        )
    }

    /// The series key a stream is stored under (its name, with its tags if it has any).
    static func seriesKey(_ stream: String) -> SeriesKey {
        (try? SeriesKey(parsing: stream)) ?? SeriesKey(stream: stream)
    }

    /// The records that go into the next block of a stream, from the oldest head records (at most
    /// ``blockRecords``, in time then arrival order): all of them when there are that many, else those older
    /// than ``headAge`` at `now`.
    static func recordsToSeal<Row>(_ oldest: [Row], time: (Row) -> Int64, now: Int64) -> ArraySlice<Row> {
        let cutoff = now - headAge
        return oldest.count == blockRecords ? oldest[...] : oldest.prefix { time($0) < cutoff }
    }
}

/// One stored block: a stream's records in time then arrival order, encoded with the batch codec (columns for
/// numbers, rows for text) and zlib at its best level; a few bytes per number instead of a ~50-byte row.
struct StoredBlock {
    /// The stored columns of a block, in the order both stores read them.
    static let columns = "first_time, last_time, count, encoding, compression, raw_length, checksum, body"

    var firstTime: Int64
    var lastTime: Int64
    var frame: Message.BatchFrame

    init(firstTime: Int64, lastTime: Int64, frame: Message.BatchFrame) {
        self.firstTime = firstTime
        self.lastTime = lastTime
        self.frame = frame
    }

    /// Encodes `records` (in time then arrival order, at least one) as a block.
    init(sealing records: [LeptonCore.Record]) throws {
        precondition(!records.isEmpty, "a block holds at least one record")
        firstTime = records.first!.timestamp
        lastTime = records.last!.timestamp
        frame = try BatchCodec.encode(
            records,
            sequence: 0,
            encoding: .preferred(for: records),
            level: .bestCompression
        )
    }

    /// The stored columns of a block, `body` aside.
    init(
        firstTime: Int64,
        lastTime: Int64,
        count: Int64,
        encoding: Int64,
        compression: Int64,
        rawLength: Int64,
        checksum: Int64,
        body: ByteBuffer
    ) {
        self.init(
            firstTime: firstTime,
            lastTime: lastTime,
            frame: Message.BatchFrame(
                sequence: 0,
                recordCount: UInt32(count),
                encoding: UInt8(encoding),
                compression: UInt8(compression),
                rawLength: UInt32(rawLength),
                checksum: UInt32(checksum),
                body: body
            )
        )
    }

    /// The block's records, in time then arrival order, named `stream` (the series key they were stored under).
    func records(stream: String) throws -> [LeptonCore.Record] {
        let series = StoreLayout.seriesKey(stream)
        return try BatchCodec.decode(frame, maxRawBytes: 64 << 20).map {
            LeptonCore.Record(stream: series.stream, tags: series.tags, timestamp: $0.timestamp, value: $0.value)
        }
    }

    /// The block's records within `[from, to]`.
    func records(stream: String, from: Int64, to: Int64) throws -> [LeptonCore.Record] {
        try records(stream: stream).filter { (from...to).contains($0.timestamp) }
    }
}

/// The rollups one batch adds, per stream, resolution and interval, written with one upsert each.
struct RollupAccumulator {
    struct Key: Hashable {
        var stream: Int64
        var resolution: Int64
        var bucket: Int64
    }

    let resolutions: [Int64]
    private(set) var points: [Key: SeriesPoint] = [:]

    init(resolutions: [Int64]) {
        self.resolutions = resolutions
    }

    /// The start of the interval of `resolution` holding `time` (floor, also before 1970).
    static func bucket(_ time: Int64, _ resolution: Int64) -> Int64 {
        time - ((time % resolution) + resolution) % resolution
    }

    /// Adds one number (non-finite ones are not rolled up: they would spoil sums and means).
    mutating func add(_ value: Double, at time: Int64, stream: Int64) {
        guard value.isFinite else { return }
        for resolution in resolutions {
            let bucket = Self.bucket(time, resolution)
            let point = SeriesPoint(value: value, at: time, interval: bucket)
            let key = Key(stream: stream, resolution: resolution, bucket: bucket)
            if points[key] == nil {
                points[key] = point
            } else {
                points[key]!.merge(point)
            }
        }
    }

    /// Adds the numbers of `records`.
    mutating func add(_ records: [LeptonCore.Record], stream: Int64) {
        for record in records {
            if case .number(let value) = record.value { add(value, at: record.timestamp, stream: stream) }
        }
    }
}

/// Builds a series at one step from rollup points or single values, in time order.
struct SeriesBuilder {
    let step: Int64
    private(set) var points: [SeriesPoint] = []

    init(step: Int64) {
        precondition(step > 0, "step must be positive")
        self.step = step
    }

    /// The coarsest of `resolutions` (ascending) whose intervals tile `step`'s; nil when none does.
    static func resolution(for step: Int64, among resolutions: [Int64]) -> Int64? {
        resolutions.last { $0 <= step && step % $0 == 0 }
    }

    /// Folds a rollup point (or a single value's) into the interval of `step` holding it.
    mutating func fold(_ point: SeriesPoint) {
        var point = point
        point.time = RollupAccumulator.bucket(point.time, step)
        if let last = points.last, last.time == point.time {
            points[points.count - 1].merge(point)
        } else {
            points.append(point)
        }
    }

    /// Folds the finite numbers of `records`.
    mutating func fold(_ records: [LeptonCore.Record]) {
        for record in records {
            if case .number(let value) = record.value, value.isFinite {
                fold(SeriesPoint(value: value, at: record.timestamp, interval: record.timestamp))
            }
        }
    }

    /// The points of intervals starting at or before `to`.
    func series(resolution: Int64?, to: Int64) -> StoredSeries {
        StoredSeries(resolution: resolution, points: points.filter { $0.time <= to })
    }
}

extension Duration {
    /// Whole nanoseconds, saturating at `Int64.max` (retention periods of centuries).
    var saturatingNanoseconds: Int64 {
        let (seconds, overflow) = components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? Int64.max : seconds
    }
}
