import LeptonCore
import Testing

@testable import LeptonCollector

@Suite struct AgentReportsTests {
    static func stats(_ produced: UInt64) -> Message.Stats {
        Message.Stats(
            startedAt: 1,
            sources: [
                Message.Stats.SourceStats(source: "app", produced: produced, acknowledged: 0, pending: 0, dropped: [])
            ]
        )
    }

    @Test func keepsOnlyTheLatestReportOfEachAgent() {
        let reports = AgentReports()
        reports.record(Self.stats(1), agent: "edge-01", receivedAt: 10)
        reports.record(Self.stats(2), agent: "edge-01", receivedAt: 20)
        reports.record(Self.stats(3), agent: "edge-02", receivedAt: 30)
        let latest = reports.latest
        #expect(latest.count == 2)
        #expect(latest["edge-01"] == AgentReports.Report(receivedAt: 20, stats: Self.stats(2)))
        #expect(latest["edge-02"]?.stats == Self.stats(3))
    }

    @Test func forgetsTheAgentsThatReportedLeastRecentlyBeyondTheCapacity() {
        let reports = AgentReports(capacity: 2)
        reports.record(Self.stats(1), agent: "a", receivedAt: 1)
        reports.record(Self.stats(1), agent: "b", receivedAt: 2)
        reports.record(Self.stats(2), agent: "a", receivedAt: 3)
        reports.record(Self.stats(1), agent: "c", receivedAt: 4)
        // "b" reported least recently; "a" reported again after it.
        #expect(Set(reports.latest.keys) == ["a", "c"])
        #expect(reports.latest["a"]?.stats == Self.stats(2))
    }

    @Test func manyReportsStayWithinTheCapacity() {
        let reports = AgentReports(capacity: 3)
        for round in 0..<5_000 {
            reports.record(Self.stats(UInt64(round)), agent: "edge-\(round % 7)", receivedAt: Int64(round))
        }
        // The last three agents to report: rounds 4997, 4998, 4999.
        #expect(Set(reports.latest.keys) == ["edge-6", "edge-0", "edge-1"])
        #expect(reports.latest["edge-1"]?.stats == Self.stats(4_999))
        #expect(reports.count == 3)
    }
}
