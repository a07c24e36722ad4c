import Foundation
import GRDB
import LeptonCore
import NIOCore

/// Compressed blocks: a stream's older records leave the row-per-record head (`samples`) for blocks of up to
/// ``SQLiteSink/blockRecords`` records, encoded with the batch codec (columns for numbers, rows for text) and
/// zlib at its best level; a few bytes per number instead of a ~50-byte row. Queries read both.
extension SQLiteSink {
    /// Records per block at most: a stream's head is sealed in blocks of this many.
    static let blockRecords = 4_096
    /// Records younger than this stay in the head unless a full block of them is waiting (nanoseconds).
    static let headAge: Int64 = 3_600 * 1_000_000_000

    /// One stored block.
    struct StoredBlock {
        /// The columns `init(_:)` reads.
        static let columns = "first_time, last_time, count, encoding, compression, raw_length, checksum, body"

        var firstTime: Int64
        var lastTime: Int64
        var frame: Message.BatchFrame

        init(_ row: Row) {
            firstTime = row["first_time"]
            lastTime = row["last_time"]
            let body: Data = row["body"]
            frame = Message.BatchFrame(
                sequence: 0,
                recordCount: UInt32(row["count"] as Int64),
                encoding: UInt8(row["encoding"] as Int64),
                compression: UInt8(row["compression"] as Int64),
                rawLength: UInt32(row["raw_length"] as Int64),
                checksum: UInt32(row["checksum"] as Int64),
                body: ByteBuffer(bytes: body)
            )
        }

        /// The block's records, in time then arrival order, named `stream` (the series key they were stored under).
        func records(stream: String) throws -> [LeptonCore.Record] {
            let series = (try? SeriesKey(parsing: stream)) ?? SeriesKey(stream: stream)
            return try BatchCodec.decode(frame, maxRawBytes: 64 << 20).map {
                LeptonCore.Record(stream: series.stream, tags: series.tags, timestamp: $0.timestamp, value: $0.value)
            }
        }
    }

    /// The blocks of a stream that may hold records in `[from, to]`, by their first record's time.
    static func blocks(_ db: Database, streamID: Int64, from: Int64, to: Int64) throws -> [StoredBlock] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT \(StoredBlock.columns) FROM blocks
                WHERE stream_id = ? AND first_time <= ? AND last_time >= ? ORDER BY first_time, rowid
                """,
            arguments: [streamID, to, from]
        ).map(StoredBlock.init)
    }

    /// Moves head records into blocks: full blocks whenever a stream has them, and every record older than
    /// ``headAge`` (by its time, at `now`). One transaction per block. Returns the records moved.
    public func compact(now: Int64) async throws -> Int {
        let streamIDs = try await pool.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM streams") }
        var moved = 0
        for streamID in streamIDs {
            while true {
                let count = try await pool.write { db in try Self.sealBlock(db, streamID: streamID, now: now) }
                moved += count
                if count < Self.blockRecords { break }
            }
        }
        return moved
    }

    /// Seals the oldest head records of one stream into a block if there is a full block of them or some are older
    /// than ``headAge``; returns how many.
    static func sealBlock(_ db: Database, streamID: Int64, now: Int64) throws -> Int {
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT time, value, text, rowid FROM samples WHERE stream_id = ? ORDER BY time, rowid LIMIT ?",
            arguments: [streamID, blockRecords]
        )
        let cutoff = now - headAge
        let chosen = rows.count == blockRecords ? rows[...] : rows.prefix { ($0[0] as Int64) < cutoff }
        guard !chosen.isEmpty else { return 0 }
        let records = chosen.map { Self.record($0, series: SeriesKey(stream: "")) }
        let frame = try BatchCodec.encode(
            records,
            sequence: 0,
            encoding: .preferred(for: records),
            level: .bestCompression
        )
        try db.execute(
            sql: """
                INSERT INTO blocks (stream_id, first_time, last_time, count, encoding, compression, raw_length,
                    checksum, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                streamID, records.first!.timestamp, records.last!.timestamp, records.count, Int64(frame.encoding),
                Int64(frame.compression), Int64(frame.rawLength), Int64(frame.checksum),
                Data(frame.body.readableBytesView),
            ]
        )
        let rowids = chosen.map { $0[3] as Int64 }
        for start in stride(from: 0, to: rowids.count, by: 500) {
            let slice = rowids[start..<min(start + 500, rowids.count)]
            try db.execute(
                sql: "DELETE FROM samples WHERE rowid IN (\(slice.map(String.init).joined(separator: ",")))"
            )
        }
        return records.count
    }

    /// Rebuilds the database file without its free pages (after sealing, the head's rows leave free pages that
    /// SQLite reuses but does not give back to the file system).
    public func vacuum() async throws {
        try await pool.writeWithoutTransaction { try $0.execute(sql: "VACUUM") }
    }
}
