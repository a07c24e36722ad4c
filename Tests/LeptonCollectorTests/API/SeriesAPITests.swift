import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonCollector

/// `query?step=&agg=` and `latest?stream=` over HTTP, against a running collector.
@Suite struct SeriesAPITests {
    @Test func stepQueriesAndLatestOverHTTP() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: [])
        let collector = try await CollectorHarness(pki: pki, databasePath: directory.file("lepton.db"))
        try await SQLiteRollupTests.commitSample(try #require(collector.collector.sink as? SQLiteSink))
        let (base, minute) = (SQLiteRollupTests.base, SQLiteRollupTests.minute)

        let max = try await collector.get(
            "/api/v1/query?agent=a&stream=t&from=\(base)&to=\(base + minute)&step=1m&agg=max"
        )
        #expect(max.status == 200, "\(max.body)")
        let body = try #require(try max.json() as? [String: Any])
        #expect(body["source"] as? String == "1m")
        #expect(body["step"] as? String == "1m")
        let points = try #require(body["points"] as? [[String: Any]])
        #expect(points.map { $0["value"] as? Double } == [7, 4])
        #expect(points.map { $0["count"] as? Int } == [3, 3])
        #expect(points.map { $0["time"] as? Int64 } == [base, base + minute])

        let raw = try await collector.get("/api/v1/query?agent=a&stream=t&from=\(base)&to=\(base)&step=30s&agg=mean")
        let rawBody = try #require(try raw.json() as? [String: Any])
        #expect(rawBody["source"] as? String == "raw")
        #expect((rawBody["points"] as? [[String: Any]])?.first?["value"] as? Double == 3)

        let latest = try await collector.get("/api/v1/latest?stream=t")
        let rows = try #require(try latest.json() as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["agent"] as? String == "a")
        #expect(rows.first?["value"] as? Double == -3)

        for bad in ["step=soon", "step=1m&agg=median", "step=1ns&from=0&to=\(Int64.max / 2)", "step=1m&from=10&to=0"] {
            let response = try await collector.get("/api/v1/query?agent=a&stream=t&\(bad)")
            #expect(response.status == 400, "\(bad): \(response.body)")
        }
        #expect(try await collector.get("/api/v1/latest").status == 400)
        try await collector.stop()
    }
}
