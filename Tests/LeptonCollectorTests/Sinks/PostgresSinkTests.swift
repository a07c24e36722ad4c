import LeptonCore
import LeptonTestSupport
import PostgresNIO
import Testing

@testable import LeptonCollector

/// What only the PostgreSQL store has to do: several collectors writing to one database at once. (Everything both
/// stores do is tested on both, in StoreTests, StoreRollupTests and StoreBlockTests.)
@Suite(.enabled(if: TestPostgres.isAvailable, "needs the throwaway server of scripts/with-postgres.sh (make test)"))
struct PostgresSinkTests {
    static func records(_ sequence: Int, count: Int = 50) -> [Record] {
        (0..<count).map {
            Record(stream: "s", timestamp: Int64(sequence * 1_000 + $0), value: .text("\(sequence * count + $0)"))
        }
    }

    /// Two collectors receive every batch of an agent at the same moment (a failover with a resend): each batch is
    /// stored once, and the other commit is a counted duplicate.
    @Test func twoCollectorsCommittingTheSameBatchesStoreEachOnce() async throws {
        let store = try await TestStore(.postgres)
        defer { store.remove() }
        let first = try await store.open()
        let second = try await store.open()
        let batches = 40
        var outcomes: [CommitOutcome] = []
        for sequence in 1...batches {
            let records = Self.records(sequence)
            async let a = first.commit(agent: "edge", sequence: UInt64(sequence), records: records)
            async let b = second.commit(agent: "edge", sequence: UInt64(sequence), records: records)
            outcomes += try await [a, b]
        }
        #expect(outcomes.filter { $0 == .stored(skipped: 0) }.count == batches)
        #expect(outcomes.filter { $0 == .duplicate }.count == batches)
        let stored = try await first.query(agent: "edge", stream: "s", from: nil, to: nil, limit: 10_000)
        #expect(stored == (1...batches).flatMap { Self.records($0) })
        let agent = try #require(try await second.agents().first)
        #expect(
            [agent.batches, agent.records, agent.duplicates] == [Int64(batches), Int64(batches * 50), Int64(batches)]
        )
        #expect(agent.highWaterSequence == UInt64(batches))
        try await first.close()
        try await second.close()
    }

    /// Collectors starting together on an empty database: one migrates, the other waits and finds the schema ready.
    @Test func collectorsStartingTogetherMigrateOnce() async throws {
        let store = try await TestStore(.postgres)
        defer { store.remove() }
        async let a = store.open()
        async let b = store.open()
        let (first, second) = try await (a, b)
        let rows = try await (first as! PostgresSink).client.query("SELECT version FROM lepton_schema")
        var versions: [Int] = []
        for try await version in rows.decode(Int.self) { versions.append(version) }
        #expect(versions == [PostgresSink.migrations.count])
        try await first.close()
        try await second.close()
    }

    /// Two collectors sealing the same streams at once: every record ends in exactly one block or stays in the head.
    @Test func twoCollectorsSealingAtOnceMoveEachRecordOnce() async throws {
        let store = try await TestStore(.postgres)
        defer { store.remove() }
        let first = try await store.open()
        let second = try await store.open()
        for sequence in 1...10 {
            _ = try await first.commit(
                agent: "edge",
                sequence: UInt64(sequence),
                records: Self.records(sequence, count: 1_000)
            )
        }
        let before = try await first.query(agent: "edge", stream: "s", from: nil, to: nil, limit: 100_000)
        async let a = first.compact(now: Int64.max / 2)
        async let b = second.compact(now: Int64.max / 2)
        let moved = try await a + b
        #expect(moved == 10_000)
        let (head, blocks) = try await store.rows(of: first)
        #expect(head == 0 && blocks == 3)
        #expect(try await second.query(agent: "edge", stream: "s", from: nil, to: nil, limit: 100_000) == before)
        try await first.close()
        try await second.close()
    }

    /// PostgreSQL's text cannot hold NUL: it is stored as U+FFFD instead of failing the batch (and every resend).
    @Test func textWithNulIsStoredWithAReplacementCharacter() async throws {
        let store = try await TestStore(.postgres)
        defer { store.remove() }
        let sink = try await store.open()
        let record = Record(stream: "log", timestamp: 1, value: .text("a\0b"))
        #expect(try await sink.commit(agent: "edge", sequence: 1, records: [record]) == .stored(skipped: 0))
        let stored = try await sink.query(agent: "edge", stream: "log", from: nil, to: nil, limit: 10)
        #expect(stored.map(\.value) == [.text("a\u{FFFD}b")])
        try await sink.close()
    }

    /// A wrong database name fails `open()` with the server's reason, at once, instead of hanging.
    @Test func aMissingDatabaseFailsToOpen() async throws {
        var storage = try await TestPostgres.makeDatabase()
        storage.database = "no_such_database"
        let sink = try PostgresSink(storage: storage, logger: testLogger("postgres-sink"))
        let started = ContinuousClock.now
        await #expect(throws: (any Error).self) { try await sink.open() }
        #expect(ContinuousClock.now - started < .seconds(30))
        try await sink.close()
    }
}
