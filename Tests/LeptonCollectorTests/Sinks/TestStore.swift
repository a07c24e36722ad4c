import GRDB
import LeptonCore
import LeptonTestSupport
import PostgresNIO
import Testing

@testable import LeptonCollector

/// The stores the store tests run against: SQLite always, PostgreSQL when the tests run beside the throwaway server
/// (`make test`).
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    static var available: [StoreKind] { TestPostgres.isAvailable ? [.sqlite, .postgres] : [.sqlite] }

    var testDescription: String { rawValue }
}

/// Where one test keeps one store: a SQLite file in a temporary folder, or a fresh database on the test server. A
/// store can be opened again (a restart) with other rollups.
struct TestStore {
    let kind: StoreKind
    let directory: TemporaryDirectory
    let postgres: PostgresStorage?

    init(_ kind: StoreKind) async throws {
        self.kind = kind
        directory = try TemporaryDirectory()
        postgres = kind == .postgres ? try await TestPostgres.makeDatabase() : nil
    }

    /// Opens the store (waiting until it is ready).
    func open(rollups: [Duration] = StorageConfig.defaultRollups) async throws -> any RecordSink {
        let sink: any RecordSink
        switch kind {
        case .sqlite:
            sink = try SQLiteSink(path: directory.file("store/lepton.db"), rollups: rollups)
        case .postgres:
            sink = try PostgresSink(storage: postgres!, rollups: rollups, logger: testLogger("postgres-sink"))
        }
        try await sink.open()
        return sink
    }

    /// Rows in the head (one per record) and blocks, read directly from the store.
    func rows(of sink: any RecordSink) async throws -> (head: Int, blocks: Int) {
        switch sink {
        case let sqlite as SQLiteSink:
            return try await sqlite.pool.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM samples")!,
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM blocks")!
                )
            }
        case let postgres as PostgresSink:
            let rows = try await postgres.client.query(
                "SELECT (SELECT count(*) FROM samples), (SELECT count(*) FROM blocks)"
            )
            for try await (head, blocks) in rows.decode((Int64, Int64).self) { return (Int(head), Int(blocks)) }
            throw TestPostgresError.notRunning
        default:
            Issue.record("unknown store \(type(of: sink))")
            return (0, 0)
        }
    }

    func remove() { directory.remove() }
}
