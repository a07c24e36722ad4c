import Foundation
import GRDB
import LeptonCore
import NIOCore

/// Compressed blocks: a stream's older records leave the row-per-record head (`samples`) for blocks of up to
/// ``SQLiteSink/blockRecords`` records, encoded with the batch codec (columns for numbers, rows for text) and
/// zlib at its best level; a few bytes per number instead of a ~50-byte row. Queries read both.
extension StoredBlock {
    /// A row holding ``columns``.
    init(_ row: Row) {
        self.init(
            firstTime: row["first_time"],
            lastTime: row["last_time"],
            count: row["count"],
            encoding: row["encoding"],
            compression: row["compression"],
            rawLength: row["raw_length"],
            checksum: row["checksum"],
            body: ByteBuffer(bytes: row["body"] as Data)
        )
    }
}

/// Compressed blocks: a stream's older records leave the row-per-record head (`samples`) for blocks of up to
/// ``StoreLayout/blockRecords`` records (``StoredBlock``). Queries read both.
extension SQLiteSink {
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
    /// ``StoreLayout/headAge`` (by its time, at `now`). One transaction per block. Returns the records moved.
    public func compact(now: Int64) async throws -> Int {
        let streamIDs = try await pool.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM streams") }
        var moved = 0
        for streamID in streamIDs {
            while true {
                let count = try await pool.write { db in try Self.sealBlock(db, streamID: streamID, now: now) }
                moved += count
                if count < StoreLayout.blockRecords { break }
            }
        }
        return moved
    }

    /// Seals the oldest head records of one stream into a block if there is a full block of them or some are older
    /// than ``StoreLayout/headAge``; returns how many.
    static func sealBlock(_ db: Database, streamID: Int64, now: Int64) throws -> Int {
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT time, value, text, rowid FROM samples WHERE stream_id = ? ORDER BY time, rowid LIMIT ?",
            arguments: [streamID, StoreLayout.blockRecords]
        )
        let chosen = StoreLayout.recordsToSeal(rows, time: { $0[0] as Int64 }, now: now)
        guard !chosen.isEmpty else { return 0 }
        let records = chosen.map { Self.record($0, series: SeriesKey(stream: "")) }
        let block = try StoredBlock(sealing: records)
        let frame = block.frame
        try db.execute(
            sql: """
                INSERT INTO blocks (stream_id, first_time, last_time, count, encoding, compression, raw_length,
                    checksum, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                streamID, block.firstTime, block.lastTime, records.count, Int64(frame.encoding),
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
