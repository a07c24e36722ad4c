import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonCollector

@Suite struct SQLiteSinkTests {
    static func records(_ range: Range<Int>, stream: String = "s") -> [Record] {
        range.map { Record(stream: stream, timestamp: Int64($0), value: $0 % 2 == 0 ? .number(Double($0)) : .text("line \($0)")) }
    }

    @Test func commitIsExactlyOnceAndSurvivesReopening() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("store/lepton.db")
        do {
            let sink = try SQLiteSink(path: path)
            #expect(try await sink.highWater(agent: "a") == 0)
            #expect(try await sink.commit(agent: "a", sequence: 1, records: Self.records(0..<10)) == .stored)
            #expect(try await sink.commit(agent: "a", sequence: 1, records: Self.records(0..<10)) == .duplicate)
            #expect(try await sink.commit(agent: "a", sequence: 3, records: Self.records(10..<20)) == .stored)
            #expect(try await sink.commit(agent: "a", sequence: 2, records: Self.records(0..<10)) == .duplicate)
            try await sink.close()
        }
        let reopened = try SQLiteSink(path: path)
        #expect(try await reopened.highWater(agent: "a") == 3)
        #expect(try await reopened.commit(agent: "a", sequence: 3, records: Self.records(10..<20)) == .duplicate)
        let stored = try await reopened.query(agent: "a", stream: "s", from: nil, to: nil, limit: 1000)
        #expect(stored == Self.records(0..<20))
        let agents = try await reopened.agents()
        #expect(agents.map(\.id) == ["a"])
        #expect(agents.first?.records == 20)
        try await reopened.close()
    }

    @Test func queryFiltersByTimeAndLimitAndKeepsArrivalOrderForEqualTimes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let sink = try SQLiteSink(path: directory.file("lepton.db"))
        let same = (0..<5).map { Record(stream: "t", timestamp: 100, value: .text("\($0)")) }
        _ = try await sink.commit(agent: "b", sequence: 1, records: same + Self.records(200..<210, stream: "t"))
        #expect(try await sink.query(agent: "b", stream: "t", from: 100, to: 100, limit: 10) == same)
        #expect(try await sink.query(agent: "b", stream: "t", from: 205, to: nil, limit: 3).map(\.timestamp) == [205, 206, 207])
        #expect(try await sink.query(agent: "other", stream: "t", from: nil, to: nil, limit: 3).isEmpty)
        let streams = try await sink.streams()
        #expect(streams == [StoredStream(agent: "b", stream: "t", records: 15, first: 100, last: 209)])
        try await sink.close()
    }

    @Test func nanIsStoredAsNaN() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let sink = try SQLiteSink(path: directory.file("lepton.db"))
        _ = try await sink.commit(agent: "c", sequence: 1, records: [Record(stream: "n", timestamp: 1, value: .number(.nan))])
        let stored = try await sink.query(agent: "c", stream: "n", from: nil, to: nil, limit: 1)
        #expect(stored.first?.value.number?.isNaN == true)
        try await sink.close()
    }
}
