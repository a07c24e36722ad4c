import GRDB
import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonCollector

@Suite struct SQLiteSinkMigrationTests {
    /// A database as the v1 collector left it: one agent with its high-water mark and counters.
    static func makeVersion1Database(at path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try SQLiteSink.migrator.migrate(queue, upTo: "v1")
        try queue.write { db in
            #expect(try !db.columns(in: "agents").map(\.name).contains("duplicates"))
            try db.execute(
                sql: """
                    INSERT INTO agents (id, high_water_seq, records, batches, last_commit)
                    VALUES ('edge-01', 4096, 30, 3, 1700000000000000000)
                    """
            )
        }
        try queue.close()
    }

    @Test func version1DatabaseGainsCountersAtZeroAndKeepsItsAgents() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("lepton.db")
        try Self.makeVersion1Database(at: path)

        let sink = try SQLiteSink(path: path)
        #expect(
            try await sink.agents() == [
                StoredAgent(
                    id: "edge-01",
                    highWaterSequence: 4096,
                    batches: 3,
                    records: 30,
                    duplicates: 0,
                    gaps: 0,
                    gapSequences: 0,
                    lastCommit: 1_700_000_000_000_000_000
                )
            ]
        )
        #expect(try await sink.commit(agent: "edge-01", sequence: 8193, records: []) == .stored(skipped: 4096))
        #expect(try await sink.commit(agent: "edge-01", sequence: 8193, records: []) == .duplicate)
        let agent = try #require(try await sink.agents().first)
        #expect(agent.highWaterSequence == 8193)
        #expect(agent.batches == 4)
        #expect(agent.records == 30)
        #expect(agent.duplicates == 1)
        #expect(agent.gaps == 1)
        #expect(agent.gapSequences == 4096)
        try await sink.close()
    }
}
