import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonCollector

/// The status page in a real browser: headless Chromium (Debian's `chromium`, installed by `make deps`) loads
/// `GET /` from a collector with a connected agent and data, and the charts and agent table are in the DOM it
/// rendered. A screenshot is kept in `.build/artifacts/status-page.png`.
@Suite(.serialized) struct StatusPageTests {
    static let artifacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/artifacts").path

    /// Runs headless Chromium with `arguments` and the page at `url`; its standard output.
    static func chromium(_ arguments: [String], url: String, profile: String) throws -> String {
        let options = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--user-data-dir=\(profile)", "--window-size=1280,1400",
        ]
        return try runProgram("/usr/bin/chromium", options + arguments + [url], includingStandardError: false).output
    }

    @Test func chromiumRendersTheChartsAndTheAgentTable() async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"),
            "headless Chromium is needed: apt-get install chromium (make deps does)"
        )
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: ["edge-07"])
        let collector = try await CollectorHarness(pki: pki, databasePath: directory.file("lepton.db"))
        let sensor = directory.file("temp")
        try "41.5\n".write(toFile: sensor, atomically: true, encoding: .utf8)
        let agent = try AgentHarness(
            config: AgentHarness.config(
                id: "edge-07",
                pki: pki,
                collectorPort: collector.agentPort,
                stateDirectory: directory.file("agent"),
                sources: [SourceConfig(name: "temp", kind: .sensor(paths: [sensor], interval: .milliseconds(100)))]
            )
        )
        let stored = try await eventually(timeout: .seconds(20)) {
            try await collector.collector.sink.agents().first?.records ?? 0 >= 5
        }
        #expect(stored)
        // Two samples of the history, as its sampler takes them every 10 s.
        let history = collector.collector.history
        let reports = collector.collector.server.reports
        history.sample(now: wallClockNanoseconds() - 10_000_000_000, ingest: IngestTotals(), reports: reports)
        history.sample(now: wallClockNanoseconds(), ingest: collector.collector.server.ingest, reports: reports)

        let url = "http://127.0.0.1:\(collector.httpPort)/"
        let page = try await collector.get("/")
        #expect(page.status == 200)
        #expect(!page.body.contains("http://") || !page.body.contains("<script src"), "nothing loaded from elsewhere")

        let dom = try Self.chromium(["--dump-dom"], url: url, profile: directory.file("profile"))
        #expect(dom.contains("<h1>Lepton collector</h1>"), "\(dom.prefix(500))")
        #expect(dom.components(separatedBy: "<svg").count - 1 >= 2, "the fleet chart and a stream chart")
        #expect(dom.contains("<polyline"), "a chart with data")
        #expect(dom.contains("<td>edge-07</td><td>connected</td><td>127.0.0.1:"), "the agent's row, with its address")
        #expect(dom.contains("edge-07 · temp"), "the stream's chart")

        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        let screenshot = Self.artifacts + "/status-page.png"
        try? FileManager.default.removeItem(atPath: screenshot)
        _ = try Self.chromium(["--screenshot=\(screenshot)"], url: url, profile: directory.file("profile"))
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG screenshot")
        #expect(png.count > 10_000)

        try await agent.stop()
        try await collector.stop()
    }
}
