import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonCollector

@Suite struct CollectorAPITests {
    static let records = [
        Record(stream: "s", timestamp: 1, value: .number(1)),
        Record(stream: "s", timestamp: 2, value: .text("x")),
    ]

    @Test func agentsCarryTheStoredCountersAndTheLiveSessions() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let sink = try SQLiteSink(path: directory.file("lepton.db"))
        _ = try await sink.commit(agent: "edge-01", sequence: 1, records: Self.records)
        _ = try await sink.commit(agent: "edge-01", sequence: 4097, records: Self.records)
        _ = try await sink.commit(agent: "edge-01", sequence: 4097, records: Self.records)
        try await sink.recordDuplicate(agent: "edge-01")
        _ = try await sink.commit(agent: "edge-02", sequence: 1, records: Self.records)
        let sessions = SessionRegistry()
        let registered1 = sessions.register(id: 1, address: "127.0.0.1:50412", shutdown: {})
        #expect(registered1)
        sessions.identify(id: 1, agent: "edge-02")
        let registered2 = sessions.register(id: 2, address: "[::1]:50413", shutdown: {})
        #expect(registered2)
        sessions.identify(id: 2, agent: "edge-03")

        let agents = try await CollectorAPI(sink: sink, sessions: sessions).agentList()
        #expect(agents.map(\.agent) == ["edge-01", "edge-02", "edge-03"])
        let first = try #require(agents.first)
        #expect(!first.connected && first.address == nil)
        #expect(first.high_water_seq == 4097)
        #expect([first.batches, first.records, first.duplicates, first.gaps, first.gap_sequences] == [2, 4, 2, 1, 4095])
        #expect(agents[1].connected && agents[1].address == "127.0.0.1:50412")
        #expect([agents[1].batches, agents[1].records, agents[1].duplicates, agents[1].gaps] == [1, 2, 0, 0])
        // Live, nothing stored yet.
        #expect(agents[2].connected && agents[2].address == "[::1]:50413" && agents[2].last_seen != nil)
        #expect([agents[2].batches, agents[2].records, agents[2].duplicates, agents[2].gaps] == [0, 0, 0, 0])
        try await sink.close()
    }

    @Test func agentJSONCarriesTheCountersUnderTheirAPINames() throws {
        let stored = StoredAgent(
            id: "edge-01",
            highWaterSequence: 8193,
            batches: 3,
            records: 120,
            duplicates: 1,
            gaps: 2,
            gapSequences: 8190,
            lastCommit: 1_700_000_000_000_000_000
        )
        let data = try JSONEncoder().encode(AgentJSON(stored))
        let keys = (try JSONSerialization.jsonObject(with: data) as? [String: Any]).map { Set($0.keys) }
        #expect(
            keys == [
                "agent", "batches", "connected", "duplicates", "gap_sequences", "gaps", "high_water_seq", "last_seen",
                "records",
            ]
        )
        let decoded = try JSONDecoder().decode(Counters.self, from: data)
        #expect(decoded == Counters(batches: 3, duplicates: 1, gap_sequences: 8190, gaps: 2, connected: false))
    }

    // swift-format-ignore: AlwaysUseLowerCamelCase
    struct Counters: Decodable, Equatable {
        var batches: Int64
        var duplicates: Int64
        var gap_sequences: Int64
        var gaps: Int64
        var connected: Bool
    }
}
