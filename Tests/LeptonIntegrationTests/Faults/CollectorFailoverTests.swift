import Foundation
import LeptonCollector
import LeptonCore
import LeptonTestSupport
import Testing

/// Fault family 7: two collector processes behind one address (a TCP proxy standing in for the load balancer) write to
/// one PostgreSQL database, and agents fail over between them mid-stream, again and again: the proxy moves to the other
/// collector and resets every connection (the old collector finishes the commits it has in flight, their ACKs are
/// lost), or the active collector is SIGKILLed. Each agent resends what was not acknowledged to the other collector;
/// every line must be stored exactly once.
///
/// In the proxy rounds the test also holds the agents' rows locked in the database across the move, as a slow
/// database would: the old collector's commits wait, the agents reconnect to the other collector (which reads the
/// high-water marks from before those commits) and resend the same batches, whose commits wait too. When the lock
/// goes, both collectors commit the same batches at once, and only the per-agent row lock and high-water check keep
/// them from being stored twice.
@Suite(
    .serialized,
    .enabled(if: TestPostgres.isAvailable, "needs the throwaway server of scripts/with-postgres.sh (make test)")
)
struct CollectorFailoverTests {
    @Test func agentsFailingOverBetweenTwoCollectorsStoreEveryLineExactlyOnce() async throws {
        let started = ContinuousClock.now
        let directory = try TemporaryDirectory(prefix: "lepton-failover")
        defer { directory.remove() }
        let agentIDs = ["edge-fo-1", "edge-fo-2", "edge-fo-3"]
        let pki = try TestPKI(directory: directory.file("pki"), agents: agentIDs)
        let storage = try await TestPostgres.makeDatabase()

        var collectors: [Daemon] = []
        var ports: [Int] = []
        var httpPorts: [Int] = []
        for index in 1...2 {
            let (agentPort, httpPort) = (try ChildProcess.freePort(), try ChildProcess.freePort())
            let tls = pki.collectorTLS
            let config = directory.file("collector-\(index).yaml")
            try """
            listen: 127.0.0.1:\(agentPort)
            tls: { ca: \(tls.ca), cert: \(tls.cert), key: \(tls.key) }
            http: { listen: 127.0.0.1:\(httpPort) }
            storage: { type: postgres, url: '\(storage.configURL)', pool: 4 }
            limits: { heartbeat: 1s, shutdown_timeout: 2s }
            log: { level: info }
            """.write(toFile: config, atomically: true, encoding: .utf8)
            let daemon = Daemon(program: "lepton-collector", configPath: config, directory: directory.path)
            try daemon.start()
            collectors.append(daemon)
            ports.append(agentPort)
            httpPorts.append(httpPort)
        }
        // A process killed by SIGTERM before it installed its handlers exits by the signal: wait for readiness.
        func waitUntilReady() async {
            for port in httpPorts { _ = await HTTPResponse.waitUntilReady(port: port) }
        }
        await waitUntilReady()
        defer { for collector in collectors { Task { await collector.kill() } } }
        let proxy = try await FaultProxy(targetPort: ports[0])
        let database = try await TestPostgres.connect(to: storage)

        let total = 12_000
        var writers: [NumberedLines] = []
        var agents: [AgentHarness] = []
        for id in agentIDs {
            let log = directory.file("\(id).log")
            writers.append(try NumberedLines(appendingTo: log, count: total, perSecond: 3_000))
            var config = AgentHarness.config(
                id: id,
                pki: pki,
                collectorPort: proxy.port,
                stateDirectory: directory.file("\(id)-state"),
                sources: [SourceConfig(name: "app", kind: .file(path: log, parser: .text))],
                batch: BatchConfig(maxRecords: 200, maxBytes: 256 << 10, linger: .milliseconds(50))
            )
            config.spool = SpoolConfig(maxBytes: 64 << 20, segmentBytes: 1 << 20, fsync: .interval(.milliseconds(200)))
            agents.append(try AgentHarness(config: config))
        }

        // Fail over every 300 to 700 ms while the lines are written: even rounds move the proxy and reset the
        // connections under a held lock (both collectors stay up), odd rounds SIGKILL the active collector first.
        let failovers = 8
        var active = 0
        for round in 0..<failovers {
            try await Task.sleep(for: randomDelay(300...700))
            let killed = round % 2 == 1 ? collectors[active] : nil
            if let killed {
                await killed.kill()
            } else {
                try await database.query("BEGIN", logger: testLogger("failover"))
                try await database.query("SELECT id FROM agents FOR UPDATE", logger: testLogger("failover"))
                try await Task.sleep(for: .milliseconds(200))
            }
            active = 1 - active
            proxy.retarget(ports[active])
            await proxy.setModeAndWait(.reset)
            proxy.setMode(.pass)
            if let killed {
                try killed.start()
            } else {
                // Keep the lock until every agent is back on the other collector, so its resends queue on the lock
                // beside the old collector's commits (a fixed wait was too short on a loaded machine).
                let port = httpPorts[active]
                _ = await eventually(timeout: .seconds(20)) {
                    (try? await HTTPResponse.get(port: port, path: "/metrics").metric("lepton_collector_sessions"))
                        == Double(agentIDs.count)
                }
                try await Task.sleep(for: .milliseconds(300))
                try await database.query("COMMIT", logger: testLogger("failover"))
            }
        }
        try await database.close()
        for writer in writers { _ = try await writer.finished() }
        var acknowledged = true
        for agent in agents {
            let done = await eventually(timeout: .seconds(90)) {
                agent.metrics().sum("lepton_agent_records_acknowledged_total") >= Double(total)
            }
            acknowledged = acknowledged && done
        }
        for agent in agents { try await agent.stop() }
        await waitUntilReady()
        var statuses: [Int32?] = []
        for collector in collectors { statuses.append(await collector.stop()) }
        try await proxy.stop()
        let logs = collectors.map { $0.logs.suffix(1500) }.joined(separator: "\n=== next collector ===\n")
        #expect(acknowledged, "not everything was acknowledged; collectors: \(logs)")
        #expect(statuses == [0, 0], "collector exit statuses \(statuses): \(logs)")

        // Count straight from the shared database.
        let reader = try PostgresSink(storage: storage, logger: testLogger("failover-reader"))
        try await reader.open()
        var all = DeliveryCount(produced: 0, stored: 0, duplicates: 0, missing: 0, outOfOrder: 0)
        for id in agentIDs {
            let texts = try await reader.query(agent: id, stream: "app", from: nil, to: nil, limit: Int.max).compactMap
            {
                $0.value.text
            }
            let delivery = DeliveryCount(stored: texts, produced: total)
            #expect(delivery.isExactlyOnce, "\(id): \(delivery)")
            all.produced += delivery.produced
            all.stored += delivery.stored
            all.duplicates += delivery.duplicates
            all.missing += delivery.missing
            all.outOfOrder += delivery.outOfOrder
        }
        let duplicatesRefused = try await reader.agents().reduce(0) { $0 + $1.duplicates }
        try await reader.close()
        #expect(duplicatesRefused > 0, "no batch was committed by both collectors: the race was not exercised")
        try FaultReport.record(
            FaultRun(
                family: 7,
                scenario: "3 agents fail over between 2 collectors on one PostgreSQL (proxy moved + reset, or SIGKILL)",
                faults: failovers,
                delivery: all,
                seconds: (ContinuousClock.now - started).inSeconds,
                notes: "resent batches refused by the per-agent row lock and high-water mark: \(duplicatesRefused)"
            )
        )
    }
}
