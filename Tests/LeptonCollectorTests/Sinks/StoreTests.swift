import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonCollector

@Suite struct StoreTests {
    static func records(_ range: Range<Int>, stream: String = "s") -> [Record] {
        range.map {
            Record(stream: stream, timestamp: Int64($0), value: $0 % 2 == 0 ? .number(Double($0)) : .text("line \($0)"))
        }
    }

    static func commit(
        _ sink: any RecordSink,
        _ agent: String,
        _ sequence: UInt64,
        _ range: Range<Int>
    ) async throws -> CommitOutcome {
        try await sink.commit(agent: agent, sequence: sequence, records: records(range))
    }

    @Test(arguments: StoreKind.available) func commitIsExactlyOnceAndSurvivesReopening(kind: StoreKind) async throws {
        let store = try await TestStore(kind)
        defer { store.remove() }
        do {
            let sink = try await store.open()
            #expect(try await sink.highWater(agent: "a") == 0)
            #expect(
                try await sink.commit(agent: "a", sequence: 1, records: Self.records(0..<10)) == .stored(skipped: 0)
            )
            #expect(try await sink.commit(agent: "a", sequence: 1, records: Self.records(0..<10)) == .duplicate)
            #expect(
                try await sink.commit(agent: "a", sequence: 3, records: Self.records(10..<20)) == .stored(skipped: 1)
            )
            #expect(try await sink.commit(agent: "a", sequence: 2, records: Self.records(0..<10)) == .duplicate)
            try await sink.close()
        }
        let reopened = try await store.open()
        #expect(try await reopened.highWater(agent: "a") == 3)
        #expect(try await reopened.commit(agent: "a", sequence: 3, records: Self.records(10..<20)) == .duplicate)
        let stored = try await reopened.query(agent: "a", stream: "s", from: nil, to: nil, limit: 1000)
        #expect(stored == Self.records(0..<20))
        let agents = try await reopened.agents()
        #expect(agents.map(\.id) == ["a"])
        #expect(agents.first?.records == 20)
        try await reopened.close()
    }

    @Test(arguments: StoreKind.available) func gapsAndDuplicatesAreCountedWithTheCommitsAndSurviveReopening(
        kind: StoreKind
    ) async throws {
        let store = try await TestStore(kind)
        defer { store.remove() }
        do {
            let sink = try await store.open()
            // An agent's first batch is never a gap, wherever it starts.
            #expect(try await Self.commit(sink, "b", 4097, 0..<1) == .stored(skipped: 0))
            #expect(try await Self.commit(sink, "a", 1, 0..<2) == .stored(skipped: 0))
            #expect(try await Self.commit(sink, "a", 2, 2..<4) == .stored(skipped: 0))
            // The agent restarted and continues after its reserved block.
            #expect(try await Self.commit(sink, "a", 4097, 4..<6) == .stored(skipped: 4094))
            #expect(try await Self.commit(sink, "a", 4097, 4..<6) == .duplicate)
            try await sink.recordDuplicate(agent: "a")
            #expect(try await Self.commit(sink, "a", 4098, 6..<8) == .stored(skipped: 0))
            #expect(try await Self.commit(sink, "a", 10_000, 8..<10) == .stored(skipped: 5901))
            try await sink.close()
        }
        let reopened = try await store.open()
        #expect(try await Self.commit(reopened, "a", 3, 2..<4) == .duplicate)
        let agents = try await reopened.agents()
        #expect(agents.map(\.id) == ["a", "b"])
        let a = try #require(agents.first)
        #expect(a.highWaterSequence == 10_000)
        #expect(a.batches == 5)
        #expect(a.records == 10)
        #expect(a.duplicates == 3)
        #expect(a.gaps == 2)
        #expect(a.gapSequences == 4094 + 5901)
        #expect(a.lastCommit != nil)
        let b = try #require(agents.last)
        #expect([b.batches, b.records, b.duplicates, b.gaps, b.gapSequences] == [1, 1, 0, 0, 0])
        let stored = try await reopened.query(agent: "a", stream: "s", from: nil, to: nil, limit: 100)
        #expect(stored == Self.records(0..<10))
        try await reopened.close()
    }

    @Test(arguments: StoreKind.available) func queryFiltersByTimeAndLimitAndKeepsArrivalOrderForEqualTimes(
        kind: StoreKind
    ) async throws {
        let store = try await TestStore(kind)
        defer { store.remove() }
        let sink = try await store.open()
        let same = (0..<5).map { Record(stream: "t", timestamp: 100, value: .text("\($0)")) }
        _ = try await sink.commit(agent: "b", sequence: 1, records: same + Self.records(200..<210, stream: "t"))
        #expect(try await sink.query(agent: "b", stream: "t", from: 100, to: 100, limit: 10) == same)
        #expect(
            try await sink.query(agent: "b", stream: "t", from: 205, to: nil, limit: 3).map(\.timestamp) == [
                205, 206, 207,
            ]
        )
        #expect(try await sink.query(agent: "other", stream: "t", from: nil, to: nil, limit: 3).isEmpty)
        let streams = try await sink.streams()
        #expect(streams == [StoredStream(agent: "b", stream: "t", records: 15, first: 100, last: 209)])
        try await sink.close()
    }

    @Test(arguments: StoreKind.available) func nanIsStoredAsNaN(kind: StoreKind) async throws {
        let store = try await TestStore(kind)
        defer { store.remove() }
        let sink = try await store.open()
        _ = try await sink.commit(
            agent: "c",
            sequence: 1,
            records: [Record(stream: "n", timestamp: 1, value: .number(.nan))]
        )
        let stored = try await sink.query(agent: "c", stream: "n", from: nil, to: nil, limit: 1)
        #expect(stored.first?.value.number?.isNaN == true)
        try await sink.close()
    }
}
