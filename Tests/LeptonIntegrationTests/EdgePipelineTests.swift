import Foundation
import LeptonAgent
import LeptonCollector
import LeptonCore
import LeptonTestSupport
import Testing

/// Parsers and processors on a real agent, shipping over mutual TLS to a real collector and SQLite: tags
/// survive the wire, reductions happen at the edge and are counted, the ledger still balances.
@Suite(.serialized) struct EdgePipelineTests {
    @Test func influxLinesAreDedupedAtTheEdgeAndArriveWithTheirTags() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: ["edge-pipe"])
        let log = directory.file("mqtt.log")
        var text = ""
        // 300 lines per station; the temperature changes every 10th line only.
        for index in 0..<300 {
            for station in ["roof", "cellar"] {
                let timestamp = 1_764_547_200_000_000_000 + Int64(index) * 1_000_000_000
                text += "weather,station=\(station) temperature=\(20 + index / 10) \(timestamp)\n"
            }
        }
        try text.write(toFile: log, atomically: false, encoding: .utf8)

        let collector = try await CollectorHarness(pki: pki, databasePath: directory.file("lepton.db"))
        let source = SourceConfig(
            name: "mqtt",
            kind: .file(path: log, parser: ParserConfig(kind: .influx(precision: .ns))),
            processors: [.dedupe(DedupeConfig(maxSilence: nil))]
        )
        let agent = try AgentHarness(
            config: AgentHarness.config(
                id: "edge-pipe",
                pki: pki,
                collectorPort: collector.agentPort,
                stateDirectory: directory.file("agent"),
                sources: [source]
            )
        )
        let expected = 2 * 30
        let arrived = try await eventually(timeout: .seconds(60)) {
            try await collector.collector.sink.agents().first { $0.id == "edge-pipe" }?.records ?? 0 >= Int64(expected)
        }
        #expect(arrived)
        let metrics = agent.metrics()
        try await agent.stop()

        for station in ["roof", "cellar"] {
            let key = SeriesKey(stream: "weather.temperature", tags: ["station": station]).text
            let stored = try await collector.collector.sink.query(
                agent: "edge-pipe",
                stream: key,
                from: nil,
                to: nil,
                limit: 1000
            )
            #expect(stored.count == 30, "one record per change for \(station)")
            #expect(stored.first?.tags == ["station": station])
            #expect(stored.map(\.value) == (0..<30).map { .number(Double(20 + $0)) })
            #expect(stored.first?.timestamp == 1_764_547_200_000_000_000, "the line's own timestamp")
        }
        let labels = "source=\"mqtt\",processor=\"0:dedupe\",stream=\"weather.temperature\""
        #expect(metrics.value("lepton_agent_processor_records_total{\(labels),direction=\"in\"}") == 600)
        #expect(metrics.value("lepton_agent_processor_records_total{\(labels),direction=\"out\"}") == 60)
        #expect(metrics.value("lepton_agent_processor_dropped_total{\(labels),reason=\"unchanged\"}") == 540)
        #expect(
            metrics.value("lepton_agent_records_total{source=\"mqtt\"}") == 60,
            "produced counts what leaves the processors"
        )
        try await collector.stop()
    }
}
