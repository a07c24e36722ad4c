import Foundation
import LeptonCollector
import LeptonCore
import LeptonTestSupport
import Logging
import PostgresNIO

/// The store `lepton-bench store` measures: a SQLite file in a temporary folder, or a database of its own on a
/// PostgreSQL server (created for the run, dropped after it).
enum BenchStore {
    case sqlite(directory: String)
    case postgres(server: PostgresStorage, database: PostgresStorage)

    static let logger = Logger(label: "lepton.bench.store")

    static func make(postgres url: String?) async throws -> BenchStore {
        guard let url else {
            let directory = NSTemporaryDirectory() + "lepton-bench-store-\(getpid())"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return .sqlite(directory: directory)
        }
        let server = try PostgresStorage(url: url)
        var database = server
        database.database = "lepton_bench_\(getpid())"
        try await admin(server, "CREATE DATABASE \(database.database)")
        return .postgres(server: server, database: database)
    }

    /// Runs one statement on `storage`'s database.
    private static func admin(_ storage: PostgresStorage, _ sql: String) async throws {
        let connection = try await TestPostgres.connect(to: storage, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    var name: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }

    /// How each commit is made durable.
    var durability: String {
        switch self {
        case .sqlite: "one writer, synchronous=FULL"
        case .postgres: "one transaction per batch, server defaults"
        }
    }

    /// What gives the space of the sealed rows back.
    var reclaimCommand: String {
        switch self {
        case .sqlite: "VACUUM"
        case .postgres: "VACUUM FULL"
        }
    }

    func open(rollups: [Duration] = StorageConfig.defaultRollups) async throws -> any RecordSink {
        let sink: any RecordSink
        switch self {
        case .sqlite(let directory):
            sink = try SQLiteSink(path: directory + "/lepton.db", rollups: rollups)
        case .postgres(_, let database):
            sink = try PostgresSink(storage: database, rollups: rollups, logger: Self.logger)
        }
        try await sink.open()
        return sink
    }

    /// The store's size: the SQLite file, or the PostgreSQL tables with their indexes and TOAST.
    func bytesOnDisk() async throws -> Int {
        switch self {
        case .sqlite(let directory):
            return (try FileManager.default.attributesOfItem(atPath: directory + "/lepton.db")[.size] as? Int) ?? 0
        case .postgres(_, let database):
            let connection = try await TestPostgres.connect(to: database, logger: Self.logger)
            var bytes = 0
            do {
                let rows = try await connection.query(
                    """
                    SELECT sum(pg_total_relation_size(c.oid))::int8 FROM pg_class c
                        JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind = 'r'
                    """,
                    logger: Self.logger
                )
                for try await total in rows.decode(Int64.self) { bytes = Int(total) }
            } catch {
                try? await connection.close()
                throw error
            }
            try await connection.close()
            return bytes
        }
    }

    /// Gives the space of deleted rows back to the file system.
    func reclaim(_ sink: any RecordSink) async throws {
        switch self {
        case .sqlite:
            try await (sink as! SQLiteSink).vacuum()
        case .postgres(_, let database):
            try await Self.admin(database, "VACUUM FULL")
        }
    }

    func remove() async {
        switch self {
        case .sqlite(let directory):
            try? FileManager.default.removeItem(atPath: directory)
        case .postgres(let server, let database):
            try? await Self.admin(server, "DROP DATABASE IF EXISTS \(database.database) WITH (FORCE)")
        }
    }
}
