import Foundation
import LeptonCollector
import LeptonCore
import LeptonTestSupport

/// A collector in this process whose SQLite store can be throttled (not at first), for the tests of a real agent
/// under backpressure; commits slower than 100 ms count as saturation, so that the tests need not wait long.
struct ThrottledCollector {
    let database: String
    let throttled: ThrottledSink
    let collector: CollectorHarness

    /// What an exec source running `od … -N1000` (500 numbers) every 100 ms produces in a second, as the store
    /// weighs it.
    static let odBytesPerSecond =
        ThrottledSink.size((0..<500).map { Record(stream: "od", timestamp: Int64($0), value: .number(Double($0))) })
        * 10

    init(pki: TestPKI, directory: TemporaryDirectory) async throws {
        database = directory.file("lepton.db")
        throttled = ThrottledSink(try SQLiteSink(path: database), bytesPerSecond: 1 << 30)
        var backpressure = BackpressureConfig()
        backpressure.targetCommitLatency = .milliseconds(100)
        collector = try await CollectorHarness(
            pki: pki,
            databasePath: database,
            backpressure: backpressure,
            sink: throttled
        )
    }
}

extension AgentHarness {
    /// Replaces the agent's sources with an idle one (a sensor on a missing file, read every minute), so that what
    /// they produced can drain and be counted.
    func stopSources(of config: AgentConfig, directory: TemporaryDirectory) throws {
        var idle = config
        idle.sources = [
            SourceConfig(name: "idle", kind: .sensor(paths: [directory.file("none")], interval: .seconds(60)))
        ]
        try agent.reload(to: idle)
    }

    /// A source's records: read, acknowledged, dropped (counted).
    func books(of source: String) -> (produced: Double, acknowledged: Double, dropped: Double) {
        let metrics = metrics()
        return (
            metrics.sum("lepton_agent_records_total", where: ["source": source]),
            metrics.sum("lepton_agent_records_acknowledged_total", where: ["source": source]),
            metrics.sum("lepton_agent_records_dropped_total", where: ["source": source])
        )
    }
}
