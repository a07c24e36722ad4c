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

        let agents = try await CollectorAPI(sink: sink, sessions: sessions, reports: AgentReports()).agentList()
        #expect(agents.map(\.agent) == ["edge-01", "edge-02", "edge-03"])
        let first = try #require(agents.first)
        #expect(!first.connected && first.address == nil)
        #expect(first.high_water_seq == 4097)
        #expect(
            [first.batches, first.records, first.duplicates, first.gaps, first.gap_sequences] == [2, 4, 2, 1, 4095]
        )
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
                "records", "reported",
            ]
        )
        let decoded = try JSONDecoder().decode(Counters.self, from: data)
        #expect(decoded == Counters(batches: 3, duplicates: 1, gap_sequences: 8190, gaps: 2, connected: false))
    }

    static let stats = Message.Stats(
        startedAt: 1_700_000_000_000_000_000,
        sources: [
            Message.Stats.SourceStats(
                source: "app",
                produced: 10,
                acknowledged: 7,
                pending: 1,
                dropped: [
                    Message.Stats.Drop(reason: "parse_error", count: 1),
                    Message.Stats.Drop(reason: "spool_full", count: 1),
                ]
            ),
            Message.Stats.SourceStats(source: "load", produced: 4, acknowledged: 4, pending: 0, dropped: []),
        ]
    )

    @Test func agentsCarryTheirLatestReport() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let sink = try SQLiteSink(path: directory.file("lepton.db"))
        _ = try await sink.commit(agent: "edge-01", sequence: 1, records: Self.records)
        let reports = AgentReports()
        reports.record(Self.stats, agent: "edge-01", receivedAt: 1_700_000_001_000_000_000)
        reports.record(Self.stats, agent: "edge-01", receivedAt: 1_700_000_006_000_000_000)
        // Reported, then disconnected, nothing stored: still listed.
        let empty = Message.Stats(startedAt: 5, sources: [])
        reports.record(empty, agent: "edge-02", receivedAt: 1_800_000_000_000_000_000)
        _ = try await sink.commit(agent: "edge-03", sequence: 1, records: Self.records)

        let agents = try await CollectorAPI(sink: sink, sessions: SessionRegistry(), reports: reports).agentList()
        #expect(agents.map(\.agent) == ["edge-01", "edge-02", "edge-03"])
        let first = try #require(agents[0].reported.report)
        #expect(first.at_ns == 1_700_000_006_000_000_000)
        #expect(first.started_at_ns == 1_700_000_000_000_000_000)
        #expect(first.reduction_level == "raw" && first.fidelity == nil)
        #expect(
            first.sources == [
                ReportedJSON.Source(
                    source: "app",
                    produced: 10,
                    acknowledged: 7,
                    pending: 1,
                    dropped: ["parse_error": 1, "spool_full": 1]
                ),
                ReportedJSON.Source(source: "load", produced: 4, acknowledged: 4, pending: 0, dropped: [:]),
            ]
        )
        #expect(agents[0].records == 2)
        #expect(!agents[1].connected && agents[1].records == 0 && agents[1].reported.report?.sources == [])
        #expect(agents[1].last_seen == 1_800_000_000_000_000_000)
        #expect(agents[2].reported.report == nil)

        // In JSON: an object per report under its API names, `null` (not omitted) for an agent that has not reported.
        let data = try JSONEncoder().encode(agents)
        let objects = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(objects[2].keys.contains("reported") && objects[2]["reported"] is NSNull)
        let listed = try JSONDecoder().decode([Listed].self, from: data)
        #expect(listed[2].reported == nil)
        #expect(
            listed[0].reported
                == Listed.Report(
                    at_ns: 1_700_000_006_000_000_000,
                    started_at_ns: 1_700_000_000_000_000_000,
                    sources: [
                        Listed.Source(
                            source: "app",
                            produced: 10,
                            acknowledged: 7,
                            pending: 1,
                            dropped: ["parse_error": 1, "spool_full": 1]
                        ),
                        Listed.Source(source: "load", produced: 4, acknowledged: 4, pending: 0, dropped: [:]),
                    ]
                )
        )
        try await sink.close()
    }

    @Test func aReasonRepeatedInAReportIsSummed() {
        let stats = Message.Stats(
            startedAt: 1,
            sources: [
                Message.Stats.SourceStats(
                    source: "app",
                    produced: 3,
                    acknowledged: 0,
                    pending: 0,
                    dropped: [
                        Message.Stats.Drop(reason: "parse_error", count: 1),
                        Message.Stats.Drop(reason: "parse_error", count: 2),
                    ]
                )
            ]
        )
        let json = ReportedJSON(AgentReports.Report(receivedAt: 2, stats: stats))
        #expect(json.report?.sources.first?.dropped == ["parse_error": 3])
    }

    /// `temp` two rungs up, `app` with a ladder but raw, `load` one rung up: listed out of name order.
    static let fidelity: [Message.Stats.SourceFidelity] = [
        Message.Stats.SourceFidelity(
            source: "temp",
            level: 2,
            rungs: [
                Message.Stats.Rung(name: "raw", milliseconds: 1_000),
                Message.Stats.Rung(name: "deadband 0.5", milliseconds: 2_000),
                Message.Stats.Rung(name: "aggregate 10s", milliseconds: 3_000),
            ],
            reduced: 40
        ),
        Message.Stats.SourceFidelity(
            source: "app",
            level: 0,
            rungs: [
                Message.Stats.Rung(name: "raw", milliseconds: 6_000),
                Message.Stats.Rung(name: "sample 10", milliseconds: 0),
            ],
            reduced: 0
        ),
        Message.Stats.SourceFidelity(
            source: "load",
            level: 1,
            rungs: [
                Message.Stats.Rung(name: "raw", milliseconds: 100),
                Message.Stats.Rung(name: "aggregate 1m", milliseconds: 200),
            ],
            reduced: 7
        ),
    ]

    static func reportedJSON(_ stats: Message.Stats) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = ReportedJSON(AgentReports.Report(receivedAt: 9, stats: stats))
        return String(decoding: try encoder.encode(json), as: UTF8.self)
    }

    @Test func aReportCarriesTheFidelityOfEachSourceAndTheAgentsReductionLevel() throws {
        let json = try Self.reportedJSON(Message.Stats(startedAt: 5, sources: [], fidelity: Self.fidelity))
        // One line in the API; cut here at arbitrary points.
        let expected = """
            {"at_ns":9,"fidelity":[
            {"ladder":["raw","deadband 0.5","aggregate 10s"],"level":2,"ms_at_level":[1000,2000,3000],
            "reduced":40,"rung":"aggregate 10s","source":"temp"},
            {"ladder":["raw","sample 10"],"level":0,"ms_at_level":[6000,0],"reduced":0,"rung":"raw","source":"app"},
            {"ladder":["raw","aggregate 1m"],"level":1,"ms_at_level":[100,200],"reduced":7,"rung":"aggregate 1m",
            "source":"load"}],
            "reduction_level":"load: aggregate 1m, temp: aggregate 10s","sources":[],"started_at_ns":5}
            """
        #expect(json == expected.split(separator: "\n").joined())
    }

    @Test func withoutLaddersOrAboveRawTheReductionLevelIsRaw() throws {
        #expect(
            try Self.reportedJSON(Message.Stats(startedAt: 5, sources: []))
                == #"{"at_ns":9,"reduction_level":"raw","sources":[],"started_at_ns":5}"#
        )
        let atRaw = Message.Stats(startedAt: 5, sources: [], fidelity: [Self.fidelity[1]])
        #expect(atRaw.reductionLevel == "raw")
        #expect(try Self.reportedJSON(atRaw).contains("\"reduction_level\":\"raw\""))
        let oneUp = Message.Stats(startedAt: 5, sources: [], fidelity: [Self.fidelity[0]])
        #expect(oneUp.reductionLevel == "temp: aggregate 10s")
    }

    /// An agent of `/api/v1/agents` as a client reads it.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    struct Listed: Decodable {
        struct Report: Decodable, Equatable {
            var at_ns: Int64
            var started_at_ns: UInt64
            var sources: [Source]
        }

        struct Source: Decodable, Equatable {
            var source: String
            var produced: UInt64
            var acknowledged: UInt64
            var pending: UInt64
            var dropped: [String: UInt64]
        }

        var agent: String
        var reported: Report?
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
