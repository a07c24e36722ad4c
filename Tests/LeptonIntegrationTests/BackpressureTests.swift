import LeptonCollector
import LeptonCore
import LeptonTestSupport
import Testing

/// Tens of agents on loopback against a collector whose store takes a quarter of what they produce: nobody sends
/// beyond credit, the shares converge, reduction levels rise and fall back when the capacity returns, and every
/// record is stored once or counted.
@Suite(.serialized) struct BackpressureTests {
    @Test func agentsShareASaturatedStoreFairlyAdaptAndLoseNothingUncounted() async throws {
        let directory = try TemporaryDirectory(prefix: "lepton-backpressure")
        defer { directory.remove() }
        let ids = (1...20).map { "edge-bp-\($0)" }
        let pki = try TestPKI(directory: directory.file("pki"), agents: ids)
        let database = directory.file("collector/lepton.db")
        let throttled = ThrottledSink(try SQLiteSink(path: database), bytesPerSecond: 1)
        var backpressure = BackpressureConfig()
        backpressure.targetCommitLatency = .milliseconds(100)
        let collector = try await CollectorHarness(
            pki: pki,
            databasePath: database,
            limits: .init(maxFrameBytes: 64 << 10, creditWindowBytes: 64 << 10),
            backpressure: backpressure,
            sink: throttled
        )

        var agents: [SimulatedAgent] = []
        for id in ids {
            var settings = SimulatedAgent.Settings(
                id: id,
                tls: try LeptonTLS.clientContext(pki.agentTLS(id)),
                port: collector.agentPort,
                recordsPerSecond: 500
            )
            settings.maxPendingBatches = 100
            settings.ladder = [1, 4, 16]
            settings.fidelity.raiseAfter = .seconds(1)
            settings.fidelity.lowerAfter = .seconds(2)
            settings.fidelity.backlogHigh = 0.05
            settings.fidelity.backlogLow = 0.02
            agents.append(try SimulatedAgent(settings: settings))
        }
        // The store takes a quarter of the raw bytes the agents produce (each batch: 100 records).
        let demand = Double(ThrottledSink.size(try Self.sampleRecords())) * 5 * 20
        throttled.setBytesPerSecond(Int(demand / 4))
        let tasks = agents.map { agent in Task { await agent.run() } }

        // Saturated: the shares converge and the agents raise their levels.
        let saturated = await eventually(timeout: .seconds(30)) {
            let shares = collector.collector.server.backpressure.scheduler.snapshot()
            return shares.saturated && agents.allSatisfy { $0.counters.level > 0 }
        }
        // Over 4 s: every agent is served (nobody starves), and the sessions that want more get equal rates (their
        // use differs with the level each chose, so the granted rates are what must be fair).
        let before = agents.map(\.counters.acknowledged)
        try await Task.sleep(for: .seconds(4))
        let served = zip(agents, before).map { $0.counters.acknowledged - $1 }
        let shares = collector.collector.server.backpressure.scheduler.snapshot()
        let granted = shares.sessions.filter(\.backlogged).map(\.grantedBytesPerSecond)
        #expect(saturated, "levels: \(agents.map(\.counters.level)), \(shares)")
        #expect(shares.sessions.count == 20)
        #expect(served.allSatisfy { $0 > 0 }, "records acknowledged per agent in 4 s: \(served)")
        #expect(granted.count < 2 || jainIndex(granted) > 0.99, "granted rates of backlogged sessions \(granted)")

        // Capacity returns: the levels fall back to raw.
        throttled.setBytesPerSecond(1 << 30)
        // Each step down waits 2 s of relief, doubled (up to 16 s) for an agent whose level flapped.
        let relieved = await eventually(timeout: .seconds(90)) {
            agents.allSatisfy { $0.counters.level == 0 && $0.counters.pending < 1_000 }
        }
        #expect(
            relieved,
            """
            levels: \(agents.map(\.counters.level)), pending \(agents.map(\.counters.pending)), \
            \(collector.collector.server.backpressure.scheduler.snapshot())
            """
        )
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }

        #expect(try await collector.metric("lepton_collector_rejects_total{reason=\"credit_exceeded\"}") == 0)
        try await collector.stop()
        let stored = try await SQLiteSink(path: database).agents()
        for agent in agents {
            let counters = agent.counters
            let batched = Double(counters.acknowledged + counters.dropped + counters.pending) + counters.reduced
            // What is not in a batch yet is less than one batch.
            #expect(counters.produced - batched >= 0 && counters.produced - batched < 100, "\(counters)")
            #expect(counters.failures["credit_exceeded"] == nil, "\(counters)")
            #expect(counters.timeAtLevels.count == 3 && counters.timeAtLevels[1] > .zero, "\(counters)")
            let records = stored.first { $0.id == agent.settings.id }?.records ?? 0
            #expect(Int(records) >= counters.acknowledged, "stored \(records) of \(counters)")
        }
    }

    static func sampleRecords() throws -> [Record] {
        (0..<100).map { index in
            index < 20
                ? Record(stream: "log", timestamp: 0, value: .text("GET /api/items/\(index) 200 12ms"))
                : Record(stream: "sensor", timestamp: 0, value: .number(20))
        }
    }
}
