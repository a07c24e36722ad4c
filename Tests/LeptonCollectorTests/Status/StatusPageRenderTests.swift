import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonCollector

/// The status page's agent table as HTML, without a browser: the reduction level column.
@Suite struct StatusPageRenderTests {
    static func stats(_ fidelity: [Message.Stats.SourceFidelity]) -> Message.Stats {
        Message.Stats(startedAt: 1, sources: [], fidelity: fidelity)
    }

    static func scheduler() -> CreditScheduler {
        CreditScheduler(
            settings: .init(
                period: .seconds(1),
                estimator: CapacityEstimator.Settings(),
                initialBudget: 1_000_000,
                minimumWindow: 1_000,
                maximumWindow: 100_000
            )
        )
    }

    @Test func theReductionLevelColumnShowsEachAgentsReport() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let sink = try SQLiteSink(path: directory.file("lepton.db"))
        let sessions = SessionRegistry()
        let registered = sessions.register(id: 1, address: "127.0.0.1:50412", shutdown: {})
        #expect(registered)
        sessions.identify(id: 1, agent: "edge-02")
        let reports = AgentReports()
        // Reduced, with its sources listed out of name order.
        reports.record(Self.stats(CollectorAPITests.fidelity), agent: "edge-01", receivedAt: 1_700_000_000_000_000_000)
        // A report without ladders.
        reports.record(Self.stats([]), agent: "edge-03", receivedAt: 1_700_000_000_000_000_000)
        // Names that need escaping.
        let odd = Message.Stats.SourceFidelity(
            source: "a<b",
            level: 1,
            rungs: [
                Message.Stats.Rung(name: "raw", milliseconds: 0),
                Message.Stats.Rung(name: "x&y", milliseconds: 0),
            ],
            reduced: 0
        )
        reports.record(Self.stats([odd]), agent: "edge-04", receivedAt: 1_700_000_000_000_000_000)
        let page = StatusPage(
            sink: sink,
            sessions: sessions,
            reports: reports,
            history: StatusHistory(),
            ingest: IngestTotals(),
            scheduler: Self.scheduler()
        )

        let html = try await page.render(selected: [])
        // Cells: agent, state, address, records/s, records stored, credit, reduction level, lag.
        let rows = [
            "<td>edge-01</td><td>offline</td><td>–</td><td>–</td><td>0</td><td>–</td>"
                + "<td>load: aggregate 1m, temp: aggregate 10s</td><td>–</td>",
            "<td>edge-02</td><td>connected</td><td>127.0.0.1:50412</td><td>–</td><td>0</td><td>–</td>"
                + "<td>–</td><td>–</td>",
            "<td>edge-03</td><td>offline</td><td>–</td><td>–</td><td>0</td><td>–</td><td>raw</td><td>–</td>",
            "<td>edge-04</td><td>offline</td><td>–</td><td>–</td><td>0</td><td>–</td><td>a&lt;b: x&amp;y</td>",
        ]
        for row in rows {
            #expect(html.contains(row), "\(row) in \(html)")
        }
        try await sink.close()
    }
}
