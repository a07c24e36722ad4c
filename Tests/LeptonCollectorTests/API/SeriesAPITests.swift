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
        try await StoreRollupTests.commitSample(try #require(collector.collector.sink as? SQLiteSink))
        let (base, minute) = (StoreRollupTests.base, StoreRollupTests.minute)

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

    @Test func fleetGroupsSeriesByTagOrAgent() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: [])
        let collector = try await CollectorHarness(pki: pki, databasePath: directory.file("lepton.db"))
        let sink = collector.collector.sink
        let (base, second) = (StoreRollupTests.base, StoreRollupTests.second)
        func temp(_ value: Double, _ site: String, _ offset: Int64) -> Record {
            Record(stream: "temp", tags: ["site": site], timestamp: base + offset * second, value: .number(value))
        }
        _ = try await sink.commit(agent: "e1", sequence: 1, records: [temp(10, "lyon", 0), temp(20, "lyon", 30)])
        _ = try await sink.commit(agent: "e2", sequence: 1, records: [temp(30, "lyon", 10), temp(1, "paris", 5)])
        _ = try await sink.commit(
            agent: "e3",
            sequence: 1,
            records: [Record(stream: "temp", timestamp: base, value: .number(5)), temp(99, "lyon", 60)]
        )
        let window = "from=\(base)&to=\(base)&step=1m"
        let bySite = try #require(
            try await collector.get("/api/v1/fleet?stream=temp&group_by=tag:site&agg=mean&\(window)").json()
                as? [String: Any]
        )
        #expect(bySite["series"] as? Int == 5, "e1 lyon, e2 lyon, e2 paris, e3 untagged, e3 lyon")
        #expect(bySite["source"] as? String == "1m")
        let groups = try #require(bySite["groups"] as? [[String: Any]])
        #expect(groups.map { $0["group"] as? String } == ["", "lyon", "paris"])
        let means = groups.map { (($0["points"] as? [[String: Any]])?.first?["value"]) as? Double }
        #expect(means == [5, 20, 1], "lyon: (10 + 20 + 30) / 3 in the first minute; 99 falls in the next")

        let byAgent = try #require(
            try await collector.get("/api/v1/fleet?stream=temp&group_by=agent&agg=max&\(window)").json()
                as? [String: Any]
        )
        let maxima = (byAgent["groups"] as? [[String: Any]])?.map {
            (($0["points"] as? [[String: Any]])?.first?["value"]) as? Double
        }
        #expect(maxima == [20, 30, 5])
        #expect(try await collector.get("/api/v1/fleet?stream=temp&group_by=site&step=1m").status == 400)
        #expect(try await collector.get("/api/v1/fleet?group_by=agent&step=1m").status == 400)
        try await collector.stop()
    }
}
