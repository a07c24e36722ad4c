import Foundation
import GRDB
import LeptonCore

/// The embedded default store: one SQLite file (WAL mode, `synchronous=FULL`, so an ACKed batch survives
/// a power cut), written through GRDB. Each agent's row holds its high-water mark and delivery counters
/// (`StoredAgent`), updated in the transaction that stores or refuses the batch.
///
/// Beside the raw records it keeps rollups per stream (count, min, max, sum and last of the finite numbers in each
/// interval of each resolution), updated in the same transaction as the batch, so they always agree with the
/// records; queries over long ranges read them instead of the records.
public final class SQLiteSink: RecordSink {
    let pool: DatabasePool
    /// Rollup resolutions in nanoseconds, ascending.
    let resolutions: [Int64]

    /// Opens (creating if needed) the database at `path` and brings its schema up to date; rollups of a
    /// resolution the database did not keep yet are computed from the records it holds.
    public init(path: String, rollups: [Duration] = StorageConfig.defaultRollups) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
        resolutions = rollups.map { $0.components.seconds * 1_000_000_000 }.sorted()
        let resolutions = resolutions
        try pool.write { db in
            for resolution in resolutions {
                try Self.backfillRollups(db, resolution: resolution)
            }
        }
    }

    /// Computes the rollups of `resolution` from the records, once per resolution (noted in `rollup_resolutions`).
    static func backfillRollups(_ db: Database, resolution: Int64) throws {
        let known = try Int64.fetchOne(
            db,
            sql: "SELECT resolution FROM rollup_resolutions WHERE resolution = ?",
            arguments: [resolution]
        )
        guard known == nil else { return }
        try db.execute(
            sql: """
                INSERT INTO rollups (stream_id, resolution, bucket, count, min_value, max_value, sum_value,
                    last_value, last_time)
                SELECT stream_id, :r, time - ((time % :r) + :r) % :r AS start, count(*), min(value), max(value),
                    sum(value), 0, max(time)
                FROM samples WHERE value IS NOT NULL AND abs(value) < 9e999 GROUP BY stream_id, start;
                UPDATE rollups SET last_value = (
                    SELECT value FROM samples WHERE samples.stream_id = rollups.stream_id
                        AND samples.time = rollups.last_time AND value IS NOT NULL AND abs(value) < 9e999
                    ORDER BY samples.rowid DESC LIMIT 1)
                WHERE resolution = :r;
                INSERT INTO rollup_resolutions (resolution) VALUES (:r);
                """,
            arguments: ["r": resolution]
        )
        // And the records already sealed in blocks.
        let blocks = try Row.fetchCursor(
            db,
            sql: """
                SELECT stream_id, \(StoredBlock.columns) FROM blocks
                """
        )
        var rollups = RollupAccumulator(resolutions: [resolution])
        while let row = try blocks.next() {
            let streamID: Int64 = row["stream_id"]
            rollups.add(try StoredBlock(row).records(stream: ""), stream: streamID)
        }
        try rollups.write(db)
    }

    /// The schema's history. Internal so tests can build a database of an older version (`migrate(_:upTo:)`).
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE agents (
                        id TEXT PRIMARY KEY NOT NULL,
                        high_water_seq INTEGER NOT NULL DEFAULT 0,
                        records INTEGER NOT NULL DEFAULT 0,
                        batches INTEGER NOT NULL DEFAULT 0,
                        last_commit INTEGER
                    );
                    CREATE TABLE streams (
                        id INTEGER PRIMARY KEY,
                        agent TEXT NOT NULL,
                        name TEXT NOT NULL,
                        records INTEGER NOT NULL DEFAULT 0,
                        first_time INTEGER,
                        last_time INTEGER,
                        UNIQUE (agent, name)
                    );
                    CREATE TABLE samples (
                        stream_id INTEGER NOT NULL REFERENCES streams(id),
                        time INTEGER NOT NULL,
                        value REAL,
                        text TEXT
                    );
                    CREATE INDEX samples_by_stream_time ON samples (stream_id, time);
                    """
            )
        }
        // Delivery counters per agent (see `StoredAgent`).
        migrator.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    ALTER TABLE agents ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE agents ADD COLUMN gaps INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE agents ADD COLUMN gap_sequences INTEGER NOT NULL DEFAULT 0;
                    """
            )
        }
        // Rollups per stream and resolution (nanoseconds); `bucket` is the interval's start.
        migrator.registerMigration("v3") { db in
            try db.execute(
                sql: """
                    CREATE TABLE rollups (
                        stream_id INTEGER NOT NULL REFERENCES streams(id),
                        resolution INTEGER NOT NULL,
                        bucket INTEGER NOT NULL,
                        count INTEGER NOT NULL,
                        min_value REAL NOT NULL,
                        max_value REAL NOT NULL,
                        sum_value REAL NOT NULL,
                        last_value REAL NOT NULL,
                        last_time INTEGER NOT NULL,
                        PRIMARY KEY (stream_id, resolution, bucket)
                    ) WITHOUT ROWID;
                    CREATE TABLE rollup_resolutions (resolution INTEGER PRIMARY KEY NOT NULL);
                    """
            )
        }
        // Compressed blocks of a stream's older records (see SQLiteSink+Blocks.swift); `samples` keeps the newest.
        migrator.registerMigration("v4") { db in
            try db.execute(
                sql: """
                    CREATE TABLE blocks (
                        stream_id INTEGER NOT NULL REFERENCES streams(id),
                        first_time INTEGER NOT NULL,
                        last_time INTEGER NOT NULL,
                        count INTEGER NOT NULL,
                        encoding INTEGER NOT NULL,
                        compression INTEGER NOT NULL,
                        raw_length INTEGER NOT NULL,
                        checksum INTEGER NOT NULL,
                        body BLOB NOT NULL
                    );
                    CREATE INDEX blocks_by_stream_time ON blocks (stream_id, first_time);
                    """
            )
        }
        return migrator
    }

    public func highWater(agent: String) async throws -> UInt64 {
        try await pool.read { db in
            let value = try Int64.fetchOne(
                db,
                sql: "SELECT high_water_seq FROM agents WHERE id = ?",
                arguments: [agent]
            )
            return UInt64(value ?? 0)
        }
    }

    public func commit(agent: String, sequence: UInt64, records: [LeptonCore.Record]) async throws -> CommitOutcome {
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        let resolutions = resolutions
        return try await pool.write { db in
            let stored = try Int64.fetchOne(
                db,
                sql: "SELECT high_water_seq FROM agents WHERE id = ?",
                arguments: [agent]
            )
            if let stored, UInt64(stored) >= sequence {
                try db.execute(sql: "UPDATE agents SET duplicates = duplicates + 1 WHERE id = ?", arguments: [agent])
                return .duplicate
            }
            // A jump past high-water + 1; an agent's first batch never counts (it may start anywhere).
            let previous = UInt64(stored ?? 0)
            let skipped = previous > 0 && sequence > previous + 1 ? sequence - previous - 1 : 0

            // A stream is stored under its series key: the name, plus its tags when it has any.
            var perStream: [SeriesKey: (id: Int64, count: Int64, first: Int64, last: Int64)] = [:]
            var rollups = RollupAccumulator(resolutions: resolutions)
            let insertStream = try db.cachedStatement(sql: "INSERT OR IGNORE INTO streams (agent, name) VALUES (?, ?)")
            let selectStream = try db.cachedStatement(sql: "SELECT id FROM streams WHERE agent = ? AND name = ?")
            let insertSample = try db.cachedStatement(
                sql: "INSERT INTO samples (stream_id, time, value, text) VALUES (?, ?, ?, ?)"
            )
            for record in records {
                var entry: (id: Int64, count: Int64, first: Int64, last: Int64)
                let series = record.series
                if let existing = perStream[series] {
                    entry = existing
                } else {
                    let name = series.text
                    try insertStream.execute(arguments: [agent, name])
                    guard let id = try Int64.fetchOne(selectStream, arguments: [agent, name]) else {
                        throw DatabaseError(
                            resultCode: .SQLITE_INTERNAL,
                            message: "stream row for \(agent)/\(name) vanished"
                        )
                    }
                    entry = (id, 0, record.timestamp, record.timestamp)
                }
                switch record.value {
                case .number(let value):
                    try insertSample.execute(arguments: [entry.id, record.timestamp, value, nil])
                    rollups.add(value, at: record.timestamp, stream: entry.id)
                case .text(let text):
                    try insertSample.execute(arguments: [entry.id, record.timestamp, nil, text])
                }
                entry.count += 1
                entry.first = min(entry.first, record.timestamp)
                entry.last = max(entry.last, record.timestamp)
                perStream[series] = entry
            }
            for entry in perStream.values {
                try db.execute(
                    sql: """
                        UPDATE streams SET records = records + ?,
                            first_time = min(coalesce(first_time, ?), ?), last_time = max(coalesce(last_time, ?), ?)
                        WHERE id = ?
                        """,
                    arguments: [entry.count, entry.first, entry.first, entry.last, entry.last, entry.id]
                )
            }
            try rollups.write(db)
            try db.execute(
                sql: """
                    INSERT INTO agents (id, high_water_seq, records, batches, gaps, gap_sequences, last_commit)
                    VALUES (?, ?, ?, 1, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET high_water_seq = excluded.high_water_seq,
                        records = records + excluded.records, batches = batches + 1,
                        gaps = gaps + excluded.gaps, gap_sequences = gap_sequences + excluded.gap_sequences,
                        last_commit = excluded.last_commit
                    """,
                arguments: [agent, Int64(sequence), records.count, skipped > 0 ? 1 : 0, Int64(skipped), now]
            )
            return .stored(skipped: skipped)
        }
    }

    public func recordDuplicate(agent: String) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO agents (id, duplicates) VALUES (?, 1)
                    ON CONFLICT (id) DO UPDATE SET duplicates = duplicates + 1
                    """,
                arguments: [agent]
            )
        }
    }

    public func agents() async throws -> [StoredAgent] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, high_water_seq, batches, records, duplicates, gaps, gap_sequences, last_commit
                    FROM agents ORDER BY id
                    """
            ).map {
                StoredAgent(
                    id: $0["id"],
                    highWaterSequence: UInt64($0["high_water_seq"] as Int64),
                    batches: $0["batches"],
                    records: $0["records"],
                    duplicates: $0["duplicates"],
                    gaps: $0["gaps"],
                    gapSequences: $0["gap_sequences"],
                    lastCommit: $0["last_commit"]
                )
            }
        }
    }

    public func streams() async throws -> [StoredStream] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT agent, name, records, first_time, last_time FROM streams ORDER BY agent, name"
            ).map {
                StoredStream(
                    agent: $0["agent"],
                    stream: $0["name"],
                    records: $0["records"],
                    first: $0["first_time"],
                    last: $0["last_time"]
                )
            }
        }
    }

    public func query(
        agent: String,
        stream: String,
        from: Int64?,
        to: Int64?,
        limit: Int
    ) async throws -> [LeptonCore.Record] {
        try await pool.read { db in
            guard let streamID = try Self.streamID(db, agent: agent, stream: stream) else { return [] }
            let (low, high) = (from ?? Int64.min, to ?? Int64.max)
            // Blocks hold the older records, in time order of their first record; a block's records come before
            // the head's at the same time (they arrived earlier). Stop once `limit` records precede the next block.
            var records: [LeptonCore.Record] = []
            for block in try Self.blocks(db, streamID: streamID, from: low, to: high) {
                if records.count >= limit, let last = records.last, block.firstTime > last.timestamp { break }
                let inRange = try block.records(stream: stream, from: low, to: high)
                records = StoreLayout.merged(records, inRange, limit: limit)
            }
            let head = try Self.headRecords(db, streamID: streamID, stream: stream, from: low, to: high, limit: limit)
            return StoreLayout.merged(records, head, limit: limit)
        }
    }

    static func streamID(_ db: Database, agent: String, stream: String) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT id FROM streams WHERE agent = ? AND name = ?", arguments: [agent, stream])
    }

    /// Records of the head (`samples`) of one stream in `[from, to]`, in time then arrival order.
    static func headRecords(
        _ db: Database,
        streamID: Int64,
        stream: String,
        from: Int64,
        to: Int64,
        limit: Int
    ) throws -> [LeptonCore.Record] {
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT time, value, text FROM samples WHERE stream_id = ? AND time >= ? AND time <= ?
                ORDER BY time, rowid LIMIT ?
                """,
            arguments: [streamID, from, to, limit]
        )
        // `stream` is a series key: the name, with the stream's tags if it has any.
        let series = StoreLayout.seriesKey(stream)
        var records: [LeptonCore.Record] = []
        while let row = try rows.next() {
            records.append(Self.record(row, series: series))
        }
        return records
    }

    /// A `samples` row (`time, value, text`) as a record of `series`.
    static func record(_ row: Row, series: SeriesKey) -> LeptonCore.Record {
        StoreLayout.record(time: row[0], value: row[1], text: row[2], series: series)
    }

    /// Folds the write-ahead log back into the database file, then closes it.
    public func close() async throws {
        _ = try await pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        try pool.close()
    }
}
