import Foundation
import LeptonCore
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

/// The scale-out store: a PostgreSQL database that any number of collectors write to at once, through postgres-nio's
/// connection pool. The schema follows the SQLite store's (agents with their high-water marks, streams, a head of
/// one row per record, compressed blocks, rollups); see docs/operations.md for how it maps onto Citus and TimescaleDB.
///
/// Exactly-once across collectors: a commit first locks its agent's row (`SELECT … FOR UPDATE`), then checks the
/// high-water mark, stores the batch and raises the mark, all in one transaction. Two collectors committing the same
/// batch of an agent (one that failed over and resent it) therefore run one after the other, and the second sees the
/// first's mark and stores nothing. The head's primary key (stream, time, batch sequence, position) would refuse a
/// second copy of any record even without the lock.
public final class PostgresSink: RecordSink {
    let client: PostgresClient
    /// Rollup resolutions in nanoseconds, ascending.
    let resolutions: [Int64]
    let logger: Logger
    private let running: Task<Void, Never>
    /// Migrations and rollup backfills, run once at start; every call waits for them.
    private let prepared: Task<Void, any Error>
    /// Stream ids by agent and series key: rows of `streams` are never deleted, so an id once read stays right.
    private let streamIDs = Mutex<[StreamName: Int64]>([:])

    struct StreamName: Hashable {
        var agent: String
        var name: String
    }

    /// Starts the connection pool and, in the background, brings the schema up to date (``open()`` waits for it).
    /// `password`, when given, replaces the URL's (the collector reads `password_file` into it).
    public init(
        storage: PostgresStorage,
        password: String? = nil,
        rollups: [Duration] = StorageConfig.defaultRollups,
        logger: Logger
    ) throws {
        let tls = try Self.tls(storage)
        let password = password ?? storage.password
        var configuration = PostgresClient.Configuration(
            host: storage.host,
            port: storage.port,
            username: storage.user,
            password: password,
            database: storage.database,
            tls: tls.pool
        )
        configuration.options.maximumConnections = storage.poolSize
        configuration.options.tlsServerName = storage.tls == .verifyFull ? storage.host : nil
        var first = PostgresConnection.Configuration(
            host: storage.host,
            port: storage.port,
            username: storage.user,
            password: password,
            database: storage.database,
            tls: tls.connection
        )
        first.options.tlsServerName = configuration.options.tlsServerName
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let resolutions = rollups.map(\.saturatingNanoseconds).sorted()
        self.client = client
        self.resolutions = resolutions
        self.logger = logger
        running = Task { await client.run() }
        // On a connection of its own, not the pool's: the pool retries a failing server for a long time, and a wrong
        // URL or password should stop the collector at once.
        prepared = Task {
            let connection = try await PostgresConnection.connect(configuration: first, id: 0, logger: logger)
            do {
                try await Self.migrate(connection, logger: logger)
                for resolution in resolutions {
                    try await Self.backfillRollups(connection, resolution: resolution, logger: logger)
                }
            } catch {
                try? await connection.close()
                throw error
            }
            try await connection.close()
        }
    }

    /// `sslmode` as postgres-nio's settings, for the pool and for a single connection.
    private static func tls(
        _ storage: PostgresStorage
    ) throws -> (
        pool: PostgresClient.Configuration.TLS, connection: PostgresConnection.Configuration.TLS
    ) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch storage.tls {
        case .disable:
            return (.disable, .disable)
        case .prefer, .require:
            configuration.certificateVerification = .none
        case .verifyFull:
            if let root = storage.rootCertificate {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(root))
            }
        }
        let context = try NIOSSLContext(configuration: configuration)
        return storage.tls == .prefer
            ? (.prefer(configuration), .prefer(context)) : (.require(configuration), .require(context))
    }

    /// Waits until the database is reachable and its schema up to date; throws what went wrong otherwise (a wrong
    /// password, an unreachable server, a failed migration).
    public func open() async throws {
        try await prepared.value
    }

    // MARK: Schema

    /// The schema's history: each entry is one version's statements, applied in one transaction.
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE agents (
                id text PRIMARY KEY,
                high_water_seq bigint NOT NULL DEFAULT 0,
                batches bigint NOT NULL DEFAULT 0,
                records bigint NOT NULL DEFAULT 0,
                duplicates bigint NOT NULL DEFAULT 0,
                gaps bigint NOT NULL DEFAULT 0,
                gap_sequences bigint NOT NULL DEFAULT 0,
                last_commit bigint
            )
            """,
            """
            CREATE TABLE streams (
                id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                agent text NOT NULL,
                name text NOT NULL,
                records bigint NOT NULL DEFAULT 0,
                first_time bigint,
                last_time bigint,
                UNIQUE (agent, name)
            )
            """,
            // The head: one row per record not yet sealed into a block. `seq` (the batch's sequence number) and `pos`
            // (the record's place in it) give the arrival order within a stream, and make each record's key unique.
            """
            CREATE TABLE samples (
                stream_id bigint NOT NULL,
                time bigint NOT NULL,
                seq bigint NOT NULL,
                pos integer NOT NULL,
                value double precision,
                text text,
                PRIMARY KEY (stream_id, time, seq, pos)
            )
            """,
            """
            CREATE TABLE blocks (
                stream_id bigint NOT NULL,
                id bigint GENERATED BY DEFAULT AS IDENTITY,
                first_time bigint NOT NULL,
                last_time bigint NOT NULL,
                count bigint NOT NULL,
                encoding smallint NOT NULL,
                compression smallint NOT NULL,
                raw_length bigint NOT NULL,
                checksum bigint NOT NULL,
                body bytea NOT NULL,
                PRIMARY KEY (stream_id, first_time, id)
            )
            """,
            """
            CREATE TABLE rollups (
                stream_id bigint NOT NULL,
                resolution bigint NOT NULL,
                bucket bigint NOT NULL,
                count bigint NOT NULL,
                min_value double precision NOT NULL,
                max_value double precision NOT NULL,
                sum_value double precision NOT NULL,
                last_value double precision NOT NULL,
                last_time bigint NOT NULL,
                PRIMARY KEY (stream_id, resolution, bucket)
            )
            """,
            "CREATE TABLE rollup_resolutions (resolution bigint PRIMARY KEY)",
        ]
    ]

    /// Applies the migrations the database lacks, under an advisory lock so collectors starting together take turns.
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS lepton_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)",
                logger: logger
            )
            var current = 0
            for try await version in try await connection.query(
                "SELECT coalesce(max(version), 0) FROM lepton_schema",
                logger: logger
            ).decode(Int.self) {
                current = version
            }
            guard current <= migrations.count else {
                throw PostgresSinkError(
                    "the database's schema is version \(current), newer than this collector's \(migrations.count)"
                )
            }
            for (index, statements) in migrations.enumerated() where index + 1 > current {
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO lepton_schema (version, applied_at) VALUES (\(index + 1), now())",
                    logger: logger
                )
                logger.info("storage schema migrated", metadata: ["version": "\(index + 1)"])
            }
        }
    }

    /// Any constant: the key of the advisory lock that serialises migrations.
    static let migrationLock: Int64 = 0x4C65_7074_6F6E

    /// Computes the rollups of `resolution` from the records and blocks, once per resolution.
    static func backfillRollups(_ connection: PostgresConnection, resolution: Int64, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            let known = try await connection.query(
                "SELECT 1 FROM rollup_resolutions WHERE resolution = \(resolution)",
                logger: logger
            ).collect()
            guard known.isEmpty else { return }
            try await connection.query(
                """
                INSERT INTO rollups (stream_id, resolution, bucket, count, min_value, max_value, sum_value,
                    last_value, last_time)
                SELECT DISTINCT ON (stream_id, bucket) stream_id, \(resolution), bucket,
                    count(*) OVER w, min(value) OVER w, max(value) OVER w, sum(value) OVER w, value, time
                FROM (SELECT stream_id, time - ((time % \(resolution)) + \(resolution)) % \(resolution) AS bucket,
                        time, seq, pos, value
                    FROM samples WHERE value IS NOT NULL AND value NOT IN ('NaN', 'Infinity', '-Infinity')) AS s
                WINDOW w AS (PARTITION BY stream_id, bucket)
                ORDER BY stream_id, bucket, time DESC, seq DESC, pos DESC
                """,
                logger: logger
            )
            // And the records already sealed in blocks.
            var rollups = RollupAccumulator(resolutions: [resolution])
            let rows = try await connection.query(
                "SELECT stream_id, \(unescaped: StoredBlock.columns) FROM blocks",
                logger: logger
            )
            for try await row in rows {
                let (streamID, block) = try Self.block(row)
                rollups.add(try block.records(stream: ""), stream: streamID)
            }
            try await Self.write(rollups, connection, logger: logger)
            try await connection.query(
                "INSERT INTO rollup_resolutions (resolution) VALUES (\(resolution))",
                logger: logger
            )
        }
    }

    // MARK: Writing

    public func highWater(agent: String) async throws -> UInt64 {
        try await prepared.value
        let rows = try await client.query("SELECT high_water_seq FROM agents WHERE id = \(agent)", logger: logger)
        for try await value in rows.decode(Int64.self) { return UInt64(value) }
        return 0
    }

    public func commit(agent: String, sequence: UInt64, records: [LeptonCore.Record]) async throws -> CommitOutcome {
        try await prepared.value
        let now = wallClockNanoseconds()
        let names = Array(Set(records.map(\.series.text)))
        let known = streamIDs.withLock { ids in
            names.reduce(into: [String: Int64]()) { $0[$1] = ids[StreamName(agent: agent, name: $1)] }
        }
        let resolutions = resolutions
        let logger = logger
        let (outcome, created) = try await client.withTransaction(logger: logger) {
            connection -> (CommitOutcome, [String: Int64]) in
            // The agent's row, locked until this transaction ends: commits of one agent run one at a time, in
            // whichever collectors they arrive.
            var stored = try await Self.lockAgent(agent, connection, logger: logger)
            if stored == nil {
                // A new agent. Another collector may be inserting it too: the insert waits for that one to end,
                // and the lock then reads what it committed.
                try await connection.query(
                    "INSERT INTO agents (id) VALUES (\(agent)) ON CONFLICT (id) DO NOTHING",
                    logger: logger
                )
                stored = try await Self.lockAgent(agent, connection, logger: logger)
            }
            guard let stored else { throw PostgresSinkError("the row of agent \(agent) vanished") }
            if stored >= sequence {
                try await connection.query(
                    "UPDATE agents SET duplicates = duplicates + 1 WHERE id = \(agent)",
                    logger: logger
                )
                return (.duplicate, [:])
            }
            return try await Self.store(
                agent: agent,
                sequence: sequence,
                previous: stored,
                records: records,
                known: known,
                resolutions: resolutions,
                now: now,
                connection: connection,
                logger: logger
            )
        }
        if !created.isEmpty {
            streamIDs.withLock { ids in
                for (name, id) in created { ids[StreamName(agent: agent, name: name)] = id }
            }
        }
        return outcome
    }

    /// Locks `agent`'s row and returns its high-water mark; nil when it has no row yet.
    private static func lockAgent(
        _ agent: String,
        _ connection: PostgresConnection,
        logger: Logger
    ) async throws
        -> UInt64?
    {
        let rows = try await connection.query(
            "SELECT high_water_seq FROM agents WHERE id = \(agent) FOR UPDATE",
            logger: logger
        )
        for try await value in rows.decode(Int64.self) { return UInt64(value) }
        return nil
    }

    /// Stores one batch in the open transaction (whose agent row is locked; `previous` is its high-water mark).
    /// Returns the outcome and the ids of the streams it looked up.
    private static func store(
        agent: String,
        sequence: UInt64,
        previous: UInt64,
        records: [LeptonCore.Record],
        known: [String: Int64],
        resolutions: [Int64],
        now: Int64,
        connection: PostgresConnection,
        logger: Logger
    ) async throws -> (CommitOutcome, [String: Int64]) {
        // A jump past high-water + 1; an agent's first batch never counts (it may start anywhere).
        let skipped = previous > 0 && sequence > previous + 1 ? sequence - previous - 1 : 0

        var ids = known
        let missing = Set(records.map(\.series.text)).filter { ids[$0] == nil }
        var created: [String: Int64] = [:]
        if !missing.isEmpty {
            let names = Array(missing)
            try await connection.query(
                """
                INSERT INTO streams (agent, name) SELECT \(agent), unnest(\(names)::text[])
                ON CONFLICT (agent, name) DO NOTHING
                """,
                logger: logger
            )
            let rows = try await connection.query(
                "SELECT id, name FROM streams WHERE agent = \(agent) AND name = ANY(\(names)::text[])",
                logger: logger
            )
            for try await (id, name) in rows.decode((Int64, String).self) {
                ids[name] = id
                created[name] = id
            }
        }

        // The head's rows, as columns; a text record has `is_text` set, and a number's text is ignored.
        var streamColumn: [Int64] = []
        var times: [Int64] = []
        var positions: [Int32] = []
        var values: [Double] = []
        var texts: [String] = []
        var isText: [Bool] = []
        streamColumn.reserveCapacity(records.count)
        times.reserveCapacity(records.count)
        positions.reserveCapacity(records.count)
        values.reserveCapacity(records.count)
        texts.reserveCapacity(records.count)
        isText.reserveCapacity(records.count)
        var perStream: [Int64: (count: Int64, first: Int64, last: Int64)] = [:]
        var rollups = RollupAccumulator(resolutions: resolutions)
        for (position, record) in records.enumerated() {
            guard let id = ids[record.series.text] else {
                throw PostgresSinkError("stream row for \(agent)/\(record.series.text) vanished")
            }
            streamColumn.append(id)
            times.append(record.timestamp)
            positions.append(Int32(position))
            switch record.value {
            case .number(let value):
                values.append(value)
                texts.append("")
                isText.append(false)
                rollups.add(value, at: record.timestamp, stream: id)
            case .text(let text):
                values.append(0)
                // PostgreSQL's text cannot hold NUL; it becomes U+FFFD (docs/operations.md).
                texts.append(text.contains("\0") ? text.replacingOccurrences(of: "\0", with: "\u{FFFD}") : text)
                isText.append(true)
            }
            var entry = perStream[id] ?? (0, record.timestamp, record.timestamp)
            entry.count += 1
            entry.first = min(entry.first, record.timestamp)
            entry.last = max(entry.last, record.timestamp)
            perStream[id] = entry
        }
        if !records.isEmpty {
            let seq = Int64(sequence)
            try await connection.query(
                """
                INSERT INTO samples (stream_id, time, seq, pos, value, text)
                SELECT s, t, \(seq), p, CASE WHEN k THEN NULL ELSE v END, CASE WHEN k THEN x END
                FROM unnest(\(streamColumn)::int8[], \(times)::int8[], \(positions)::int4[], \(values)::float8[],
                    \(texts)::text[], \(isText)::bool[]) AS r(s, t, p, v, x, k)
                """,
                logger: logger
            )
            let entries = Array(perStream)
            try await connection.query(
                """
                UPDATE streams SET records = streams.records + u.n,
                    first_time = least(coalesce(streams.first_time, u.f), u.f),
                    last_time = greatest(coalesce(streams.last_time, u.l), u.l)
                FROM unnest(\(entries.map(\.key))::int8[], \(entries.map(\.value.count))::int8[],
                    \(entries.map(\.value.first))::int8[], \(entries.map(\.value.last))::int8[]) AS u(id, n, f, l)
                WHERE streams.id = u.id
                """,
                logger: logger
            )
        }
        try await write(rollups, connection, logger: logger)
        try await connection.query(
            """
            UPDATE agents SET high_water_seq = \(Int64(sequence)), records = records + \(records.count),
                batches = batches + 1, gaps = gaps + \(skipped > 0 ? 1 : 0), gap_sequences = gap_sequences + \(Int64(skipped)),
                last_commit = \(now)
            WHERE id = \(agent)
            """,
            logger: logger
        )
        return (.stored(skipped: skipped), created)
    }

    /// Upserts a batch's rollups in one statement.
    static func write(_ rollups: RollupAccumulator, _ connection: PostgresConnection, logger: Logger) async throws {
        guard !rollups.points.isEmpty else { return }
        let entries = Array(rollups.points)
        try await connection.query(
            """
            INSERT INTO rollups (stream_id, resolution, bucket, count, min_value, max_value, sum_value, last_value,
                last_time)
            SELECT * FROM unnest(\(entries.map(\.key.stream))::int8[], \(entries.map(\.key.resolution))::int8[],
                \(entries.map(\.key.bucket))::int8[], \(entries.map(\.value.count))::int8[],
                \(entries.map(\.value.min))::float8[], \(entries.map(\.value.max))::float8[],
                \(entries.map(\.value.sum))::float8[], \(entries.map(\.value.last))::float8[],
                \(entries.map(\.value.lastTime))::int8[])
            ON CONFLICT (stream_id, resolution, bucket) DO UPDATE SET
                count = rollups.count + excluded.count,
                min_value = least(rollups.min_value, excluded.min_value),
                max_value = greatest(rollups.max_value, excluded.max_value),
                sum_value = rollups.sum_value + excluded.sum_value,
                last_value = CASE WHEN excluded.last_time >= rollups.last_time THEN excluded.last_value
                    ELSE rollups.last_value END,
                last_time = greatest(rollups.last_time, excluded.last_time)
            """,
            logger: logger
        )
    }

    public func recordDuplicate(agent: String) async throws {
        try await prepared.value
        try await client.query(
            """
            INSERT INTO agents (id, duplicates) VALUES (\(agent), 1)
            ON CONFLICT (id) DO UPDATE SET duplicates = agents.duplicates + 1
            """,
            logger: logger
        )
    }

    // MARK: Reading

    public func agents() async throws -> [StoredAgent] {
        try await prepared.value
        let rows = try await client.query(
            """
            SELECT id, high_water_seq, batches, records, duplicates, gaps, gap_sequences, last_commit
            FROM agents ORDER BY id
            """,
            logger: logger
        )
        var agents: [StoredAgent] = []
        for try await (id, high, batches, records, duplicates, gaps, gapSequences, lastCommit) in rows.decode(
            (String, Int64, Int64, Int64, Int64, Int64, Int64, Int64?).self
        ) {
            agents.append(
                StoredAgent(
                    id: id,
                    highWaterSequence: UInt64(high),
                    batches: batches,
                    records: records,
                    duplicates: duplicates,
                    gaps: gaps,
                    gapSequences: gapSequences,
                    lastCommit: lastCommit
                )
            )
        }
        return agents
    }

    public func streams() async throws -> [StoredStream] {
        try await prepared.value
        let rows = try await client.query(
            "SELECT agent, name, records, first_time, last_time FROM streams ORDER BY agent, name",
            logger: logger
        )
        var streams: [StoredStream] = []
        for try await (agent, name, records, first, last) in rows.decode((String, String, Int64, Int64?, Int64?).self) {
            streams.append(StoredStream(agent: agent, stream: name, records: records, first: first, last: last))
        }
        return streams
    }

    /// The id of one agent's stream, nil when it has none of that name.
    private func streamID(agent: String, stream: String) async throws -> Int64? {
        if let id = streamIDs.withLock({ $0[StreamName(agent: agent, name: stream)] }) { return id }
        let rows = try await client.query(
            "SELECT id FROM streams WHERE agent = \(agent) AND name = \(stream)",
            logger: logger
        )
        for try await id in rows.decode(Int64.self) {
            streamIDs.withLock { $0[StreamName(agent: agent, name: stream)] = id }
            return id
        }
        return nil
    }

    public func query(
        agent: String,
        stream: String,
        from: Int64?,
        to: Int64?,
        limit: Int
    ) async throws -> [LeptonCore.Record] {
        try await prepared.value
        guard limit > 0, let streamID = try await streamID(agent: agent, stream: stream) else { return [] }
        let (low, high) = (from ?? Int64.min, to ?? Int64.max)
        // As in the SQLite store: blocks first at equal times; stop once `limit` records precede the next block.
        var records: [LeptonCore.Record] = []
        for block in try await blocks(streamID: streamID, from: low, to: high) {
            if records.count >= limit, let last = records.last, block.firstTime > last.timestamp { break }
            records = StoreLayout.merged(records, try block.records(stream: stream, from: low, to: high), limit: limit)
        }
        let head = try await headRecords(streamID: streamID, stream: stream, from: low, to: high, limit: limit)
        return StoreLayout.merged(records, head, limit: limit)
    }

    /// The head's records of one stream in `[from, to]`, in time then arrival order.
    private func headRecords(
        streamID: Int64,
        stream: String,
        from: Int64,
        to: Int64,
        limit: Int
    ) async throws
        -> [LeptonCore.Record]
    {
        let rows = try await client.query(
            """
            SELECT time, value, text FROM samples WHERE stream_id = \(streamID) AND time >= \(from) AND time <= \(to)
            ORDER BY time, seq, pos LIMIT \(Int64(min(limit, Int(Int64.max))))
            """,
            logger: logger
        )
        let series = StoreLayout.seriesKey(stream)
        var records: [LeptonCore.Record] = []
        for try await (time, value, text) in rows.decode((Int64, Double?, String?).self) {
            records.append(StoreLayout.record(time: time, value: value, text: text, series: series))
        }
        return records
    }

    /// A row of `stream_id` then ``StoredBlock/columns``.
    private static func block(_ row: PostgresRow) throws -> (Int64, StoredBlock) {
        let (streamID, first, last, count, encoding, compression, rawLength, checksum, body) = try row.decode(
            (Int64, Int64, Int64, Int64, Int16, Int16, Int64, Int64, ByteBuffer).self
        )
        let block = StoredBlock(
            firstTime: first,
            lastTime: last,
            count: count,
            encoding: Int64(encoding),
            compression: Int64(compression),
            rawLength: rawLength,
            checksum: checksum,
            body: body
        )
        return (streamID, block)
    }

    /// The blocks of a stream that may hold records in `[from, to]`, by their first record's time.
    private func blocks(streamID: Int64, from: Int64, to: Int64) async throws -> [StoredBlock] {
        let rows = try await client.query(
            """
            SELECT stream_id, \(unescaped: StoredBlock.columns) FROM blocks
            WHERE stream_id = \(streamID) AND first_time <= \(to) AND last_time >= \(from) ORDER BY first_time, id
            """,
            logger: logger
        )
        var blocks: [StoredBlock] = []
        for try await row in rows { blocks.append(try Self.block(row).1) }
        return blocks
    }

    public func series(agent: String, stream: String, from: Int64, to: Int64, step: Int64) async throws -> StoredSeries
    {
        try await prepared.value
        let resolution = SeriesBuilder.resolution(for: step, among: resolutions)
        var builder = SeriesBuilder(step: step)
        guard let streamID = try await streamID(agent: agent, stream: stream) else {
            return builder.series(resolution: resolution, to: to)
        }
        let (first, end) = (RollupAccumulator.bucket(from, step), to + step - 1)
        if let resolution {
            let rows = try await client.query(
                """
                SELECT bucket, count, min_value, max_value, sum_value, last_value, last_time FROM rollups
                WHERE stream_id = \(streamID) AND resolution = \(resolution) AND bucket >= \(first) AND bucket <= \(end)
                ORDER BY bucket
                """,
                logger: logger
            )
            for try await (time, count, low, high, sum, last, lastTime) in rows.decode(
                (Int64, Int64, Double, Double, Double, Double, Int64).self
            ) {
                builder.fold(
                    SeriesPoint(time: time, count: count, min: low, max: high, sum: sum, last: last, lastTime: lastTime)
                )
            }
        } else {
            var sealed: [LeptonCore.Record] = []
            for block in try await blocks(streamID: streamID, from: first, to: end) {
                sealed += try block.records(stream: stream, from: first, to: end)
            }
            sealed.sort { $0.timestamp < $1.timestamp }
            let head = try await headRecords(streamID: streamID, stream: stream, from: first, to: end, limit: Int.max)
            builder.fold(StoreLayout.merged(sealed, head, limit: Int.max))
        }
        return builder.series(resolution: resolution, to: to)
    }

    public func latest(stream: String) async throws -> [LatestRecord] {
        try await prepared.value
        let rows = try await client.query(
            """
            SELECT id, agent, name FROM streams WHERE name = \(stream) OR starts_with(name, \(stream + ","))
            ORDER BY agent, name
            """,
            logger: logger
        )
        var streams: [(Int64, String, String)] = []
        for try await row in rows.decode((Int64, String, String).self) { streams.append(row) }
        var latest: [LatestRecord] = []
        for (id, agent, name) in streams {
            let series = StoreLayout.seriesKey(name)
            var newest: LeptonCore.Record?
            let head = try await client.query(
                "SELECT time, value, text FROM samples WHERE stream_id = \(id) ORDER BY time DESC, seq DESC, pos DESC LIMIT 1",
                logger: logger
            )
            for try await (time, value, text) in head.decode((Int64, Double?, String?).self) {
                newest = StoreLayout.record(time: time, value: value, text: text, series: series)
            }
            // The newest block may hold a newer record than the head (a late record, the head just sealed).
            let blockRows = try await client.query(
                """
                SELECT stream_id, \(unescaped: StoredBlock.columns) FROM blocks WHERE stream_id = \(id)
                ORDER BY last_time DESC, id DESC LIMIT 1
                """,
                logger: logger
            )
            for try await row in blockRows {
                let block = try Self.block(row).1
                if block.lastTime > newest?.timestamp ?? Int64.min {
                    newest = try block.records(stream: name).last { $0.timestamp == block.lastTime }
                }
            }
            if let newest { latest.append(LatestRecord(agent: agent, stream: name, record: newest)) }
        }
        return latest
    }

    // MARK: Maintenance

    private func allStreamIDs() async throws -> [Int64] {
        var ids: [Int64] = []
        for try await id in try await client.query("SELECT id FROM streams ORDER BY id", logger: logger).decode(
            Int64.self
        ) {
            ids.append(id)
        }
        return ids
    }

    public func applyRetention(now: Int64, raw: Duration?, rollups: [Duration: Duration]) async throws -> Int {
        try await prepared.value
        var deleted = 0
        for stream in try await allStreamIDs() {
            if let raw {
                let cutoff = now - raw.saturatingNanoseconds
                deleted += try await deleteInChunks(
                    """
                    WITH d AS (DELETE FROM samples WHERE (stream_id, time, seq, pos) IN (
                        SELECT stream_id, time, seq, pos FROM samples WHERE stream_id = \(stream) AND time < \(cutoff)
                        LIMIT 5000)
                        RETURNING 1)
                    SELECT count(*) FROM d
                    """
                )
                deleted += try await deleteInChunks(
                    """
                    WITH d AS (DELETE FROM blocks WHERE (stream_id, first_time, id) IN (
                        SELECT stream_id, first_time, id FROM blocks WHERE stream_id = \(stream)
                            AND last_time < \(cutoff) LIMIT 50)
                        RETURNING 1)
                    SELECT count(*) FROM d
                    """
                )
            }
            for (resolution, period) in rollups {
                let cutoff = now - period.saturatingNanoseconds
                deleted += try await deleteInChunks(
                    """
                    WITH d AS (DELETE FROM rollups WHERE (stream_id, resolution, bucket) IN (
                        SELECT stream_id, resolution, bucket FROM rollups WHERE stream_id = \(stream)
                            AND resolution = \(resolution.saturatingNanoseconds) AND bucket < \(cutoff) LIMIT 5000)
                        RETURNING 1)
                    SELECT count(*) FROM d
                    """
                )
            }
        }
        return deleted
    }

    /// Runs `delete` (a DELETE of at most a few thousand rows, in its own transaction, that returns how many as its
    /// single row) until it deletes nothing. The rows are chosen by primary key, not `ctid`, which is unique only
    /// within one table: a TimescaleDB hypertable or a Citus table spans many.
    private func deleteInChunks(_ delete: PostgresQuery) async throws -> Int {
        var total = 0
        while true {
            let count = try await Self.number(try await client.query(delete, logger: logger))
            total += count
            if count == 0 { return total }
        }
    }

    /// The number in the single row of `rows`.
    private static func number(_ rows: PostgresRowSequence) async throws -> Int {
        for try await value in rows.decode(Int64.self) { return Int(value) }
        throw PostgresSinkError("a count returned no row")
    }

    public func compact(now: Int64) async throws -> Int {
        try await prepared.value
        var moved = 0
        for streamID in try await allStreamIDs() {
            while true {
                let count = try await sealBlock(streamID: streamID, now: now)
                moved += count
                if count < StoreLayout.blockRecords { break }
            }
        }
        return moved
    }

    /// Seals the oldest head records of one stream into a block if there is a full block of them or some are older
    /// than ``StoreLayout/headAge``; returns how many. An advisory lock per stream keeps two collectors from sealing
    /// the same records, and the rows are deleted by key, so a record committed meanwhile stays in the head.
    private func sealBlock(streamID: Int64, now: Int64) async throws -> Int {
        let logger = logger
        return try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(\(Self.sealLock), \(Int32(truncatingIfNeeded: streamID)))",
                logger: logger
            )
            let rows = try await connection.query(
                """
                SELECT time, seq, pos, value, text FROM samples WHERE stream_id = \(streamID)
                ORDER BY time, seq, pos LIMIT \(StoreLayout.blockRecords)
                """,
                logger: logger
            )
            var oldest: [(time: Int64, seq: Int64, pos: Int32, value: Double?, text: String?)] = []
            for try await row in rows.decode((Int64, Int64, Int32, Double?, String?).self) { oldest.append(row) }
            let chosen = Array(StoreLayout.recordsToSeal(oldest, time: \.time, now: now))
            guard !chosen.isEmpty else { return 0 }
            let series = SeriesKey(stream: "")
            let block = try StoredBlock(
                sealing: chosen.map {
                    StoreLayout.record(time: $0.time, value: $0.value, text: $0.text, series: series)
                }
            )
            let frame = block.frame
            try await connection.query(
                """
                INSERT INTO blocks (stream_id, first_time, last_time, count, encoding, compression, raw_length, checksum,
                    body)
                VALUES (\(streamID), \(block.firstTime), \(block.lastTime), \(Int64(chosen.count)),
                    \(Int16(frame.encoding)), \(Int16(frame.compression)), \(Int64(frame.rawLength)),
                    \(Int64(frame.checksum)), \(frame.body))
                """,
                logger: logger
            )
            let deleted = try await Self.number(
                try await connection.query(
                    """
                    WITH d AS (DELETE FROM samples USING unnest(\(chosen.map(\.time))::int8[],
                            \(chosen.map(\.seq))::int8[], \(chosen.map(\.pos))::int4[]) AS k(t, s, p)
                        WHERE stream_id = \(streamID) AND time = k.t AND seq = k.s AND pos = k.p RETURNING 1)
                    SELECT count(*) FROM d
                    """,
                    logger: logger
                )
            )
            guard deleted == chosen.count else {
                throw PostgresSinkError(
                    "sealing stream \(streamID): deleted \(deleted) head rows, expected \(chosen.count)"
                )
            }
            return chosen.count
        }
    }

    /// The first key of the advisory locks that serialise sealing per stream.
    static let sealLock: Int32 = 0x4C65_7074

    public func close() async throws {
        running.cancel()
        await running.value
    }
}

/// A failure of the PostgreSQL store that is not the server's (those are postgres-nio's `PSQLError`).
public struct PostgresSinkError: Error, CustomStringConvertible, Sendable {
    public var description: String

    init(_ description: String) {
        self.description = description
    }
}
