import GRDB
import LeptonCore

extension RollupAccumulator {
    func write(_ db: Database) throws {
        guard !points.isEmpty else { return }
        let upsert = try db.cachedStatement(
            sql: """
                INSERT INTO rollups (stream_id, resolution, bucket, count, min_value, max_value, sum_value,
                    last_value, last_time)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (stream_id, resolution, bucket) DO UPDATE SET
                    count = count + excluded.count,
                    min_value = min(min_value, excluded.min_value),
                    max_value = max(max_value, excluded.max_value),
                    sum_value = sum_value + excluded.sum_value,
                    last_value = CASE WHEN excluded.last_time >= last_time THEN excluded.last_value ELSE last_value END,
                    last_time = max(last_time, excluded.last_time)
                """
        )
        for (key, point) in points {
            try upsert.execute(arguments: [
                key.stream, key.resolution, key.bucket, point.count, point.min, point.max, point.sum, point.last,
                point.lastTime,
            ])
        }
    }
}

extension SQLiteSink {
    public func series(agent: String, stream: String, from: Int64, to: Int64, step: Int64) async throws -> StoredSeries
    {
        // The coarsest rollup whose intervals tile the step's.
        let resolution = SeriesBuilder.resolution(for: step, among: resolutions)
        let first = RollupAccumulator.bucket(from, step)
        return try await pool.read { db in
            var builder = SeriesBuilder(step: step)
            guard let streamID = try Self.streamID(db, agent: agent, stream: stream) else {
                return builder.series(resolution: resolution, to: to)
            }
            if let resolution {
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT bucket, count, min_value, max_value, sum_value, last_value, last_time FROM rollups
                        WHERE stream_id = ? AND resolution = ? AND bucket >= ? AND bucket <= ? ORDER BY bucket
                        """,
                    arguments: [streamID, resolution, first, to + step - 1]
                )
                while let row = try rows.next() {
                    builder.fold(
                        SeriesPoint(
                            time: row[0],
                            count: row[1],
                            min: row[2],
                            max: row[3],
                            sum: row[4],
                            last: row[5],
                            lastTime: row[6]
                        )
                    )
                }
            } else {
                // The blocks' records and the head's, in time order (a block's first at equal times).
                let end = to + step - 1
                var sealed: [LeptonCore.Record] = []
                for block in try Self.blocks(db, streamID: streamID, from: first, to: end) {
                    sealed += try block.records(stream: stream, from: first, to: end)
                }
                sealed.sort { $0.timestamp < $1.timestamp }
                let head = try Self.headRecords(
                    db,
                    streamID: streamID,
                    stream: stream,
                    from: first,
                    to: end,
                    limit: Int.max
                )
                builder.fold(StoreLayout.merged(sealed, head, limit: Int.max))
            }
            return builder.series(resolution: resolution, to: to)
        }
    }

    public func latest(stream: String) async throws -> [LatestRecord] {
        try await pool.read { db in
            let streams = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, agent, name FROM streams WHERE name = ? OR substr(name, 1, ?) = ?
                    ORDER BY agent, name
                    """,
                arguments: [stream, stream.utf8.count + 1, stream + ","]
            )
            var latest: [LatestRecord] = []
            for row in streams {
                let (id, agent, name): (Int64, String, String) = (row[0], row[1], row[2])
                let series = StoreLayout.seriesKey(name)
                let head = try Row.fetchOne(
                    db,
                    sql:
                        "SELECT time, value, text FROM samples WHERE stream_id = ? ORDER BY time DESC, rowid DESC LIMIT 1",
                    arguments: [id]
                ).map { Self.record($0, series: series) }
                // The newest block may hold a newer record than the head (a late record, the head just sealed).
                let block = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT \(StoredBlock.columns) FROM blocks WHERE stream_id = ?
                        ORDER BY last_time DESC, rowid DESC LIMIT 1
                        """,
                    arguments: [id]
                ).map(StoredBlock.init)
                var newest = head
                if let block, block.lastTime > head?.timestamp ?? Int64.min {
                    newest = try block.records(stream: name).last { $0.timestamp == block.lastTime }
                }
                if let newest { latest.append(LatestRecord(agent: agent, stream: name, record: newest)) }
            }
            return latest
        }
    }

    public func applyRetention(now: Int64, raw: Duration?, rollups: [Duration: Duration]) async throws -> Int {
        let streamIDs = try await pool.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM streams") }
        var deleted = 0
        for stream in streamIDs {
            if let raw {
                let cutoff = now - raw.saturatingNanoseconds
                deleted += try await deleteInChunks(
                    sql: """
                        DELETE FROM samples WHERE rowid IN (
                            SELECT rowid FROM samples WHERE stream_id = ? AND time < ? LIMIT 5000)
                        """,
                    arguments: [stream, cutoff]
                )
            }
            if let raw {
                let cutoff = now - raw.saturatingNanoseconds
                deleted += try await deleteInChunks(
                    sql: """
                        DELETE FROM blocks WHERE rowid IN (
                            SELECT rowid FROM blocks WHERE stream_id = ? AND last_time < ? LIMIT 50)
                        """,
                    arguments: [stream, cutoff]
                )
            }
            for (resolution, period) in rollups {
                let cutoff = now - period.saturatingNanoseconds
                deleted += try await deleteInChunks(
                    sql: """
                        DELETE FROM rollups WHERE stream_id = ? AND resolution = ? AND bucket IN (
                            SELECT bucket FROM rollups WHERE stream_id = ? AND resolution = ? AND bucket < ? LIMIT 5000)
                        """,
                    arguments: [
                        stream, resolution.saturatingNanoseconds, stream, resolution.saturatingNanoseconds, cutoff,
                    ]
                )
            }
        }
        return deleted
    }

    /// Runs `sql` (a DELETE of at most a few thousand rows) in its own transaction until it deletes nothing.
    private func deleteInChunks(sql: String, arguments: StatementArguments) async throws -> Int {
        var total = 0
        while true {
            let count = try await pool.write { db in
                try db.execute(sql: sql, arguments: arguments)
                return db.changesCount
            }
            total += count
            if count == 0 { return total }
        }
    }
}
