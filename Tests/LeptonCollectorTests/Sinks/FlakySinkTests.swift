import LeptonCollector
import LeptonCore
import LeptonTestSupport
import Testing

@Suite struct FlakySinkTests {
    static let records = [Record(stream: "s", timestamp: 1, value: .number(1))]

    @Test func failsExactlyTheNextCommitsWithoutStoringThenPassesThrough() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let sink = FlakySink(wrapping: try SQLiteSink(path: directory.file("lepton.db")))
        sink.failNextCommits(2)
        for _ in 0..<2 {
            await #expect(throws: FlakySinkError()) {
                try await sink.commit(agent: "a", sequence: 1, records: Self.records)
            }
        }
        #expect(sink.failedCommits == 2)
        #expect(try await sink.highWater(agent: "a") == 0)
        #expect(try await sink.agents().isEmpty)
        #expect(try await sink.commit(agent: "a", sequence: 1, records: Self.records) == .stored(skipped: 0))
        #expect(try await sink.commit(agent: "a", sequence: 2, records: Self.records) == .stored(skipped: 0))
        #expect(sink.failedCommits == 2)
        #expect(try await sink.highWater(agent: "a") == 2)
        try await sink.close()
    }

    @Test func failsEveryCommitWhileFailing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let sink = FlakySink(wrapping: try SQLiteSink(path: directory.file("lepton.db")))
        sink.setFailing(true)
        for sequence in UInt64(1)...3 {
            await #expect(throws: FlakySinkError()) {
                try await sink.commit(agent: "a", sequence: sequence, records: Self.records)
            }
        }
        sink.setFailing(false)
        #expect(try await sink.commit(agent: "a", sequence: 1, records: Self.records) == .stored(skipped: 0))
        #expect(sink.failedCommits == 3)
        try await sink.close()
    }

    @Test func delaysEveryCommit() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let sink = FlakySink(wrapping: try SQLiteSink(path: directory.file("lepton.db")))
        sink.setCommitDelay(.milliseconds(100))
        let started = ContinuousClock.now
        #expect(try await sink.commit(agent: "a", sequence: 1, records: Self.records) == .stored(skipped: 0))
        #expect(ContinuousClock.now - started >= .milliseconds(100))
        try await sink.close()
    }
}
