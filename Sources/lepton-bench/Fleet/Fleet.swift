import Foundation
import LeptonCollector
import LeptonCore
import LeptonRuntime
import LeptonTestSupport

/// The simulated agents of one `lepton-bench fleet` run and the collector process they send to.
final class Fleet: Sendable {
    let directory: TemporaryDirectory
    let pki: TestPKI
    let collector: Daemon
    let agentPort: Int
    let httpPort: Int
    let agents: [SimulatedAgent]
    let tasks: [Task<Void, Never>]
    /// Raw bytes/s (as the throttled store counts them) the agents produce together at full fidelity.
    let demand: Double
    /// The store's capacity at the start, raw bytes/s.
    let capacity: Double
    /// Wire bytes per raw byte of a batch.
    let wirePerRaw: Double

    /// The reduction ladder of the fidelity scenario: records in per record out at each level, and its name.
    static let ladder: [Double] = [1, 2, 10, 60]
    static let ladderNames = ["raw", "deadband 0.5 (~½ the records)", "aggregate 10 s", "aggregate 60 s"]

    private init(
        directory: TemporaryDirectory,
        pki: TestPKI,
        collector: Daemon,
        ports: (Int, Int),
        agents: [SimulatedAgent],
        tasks: [Task<Void, Never>],
        demand: Double,
        capacity: Double
    ) {
        self.directory = directory
        self.pki = pki
        self.collector = collector
        (agentPort, httpPort) = ports
        self.agents = agents
        self.tasks = tasks
        self.demand = demand
        self.capacity = capacity
        wirePerRaw = Double(agents[0].batchBytes) / Double(agents[0].rawBatchBytes)
    }

    /// Agent ids carry their weight in the weighted scenario (`w1-…`, `w2-…`, `w4-…`).
    static func id(_ index: Int, scenario: FleetBenchmark.Scenario) -> String {
        let number = String(format: "%05d", index)
        return scenario == .weighted ? "w\([1, 2, 4][index % 3])-\(number)" : "edge-\(number)"
    }

    func weight(of agent: SimulatedAgent) -> Int {
        let id = agent.settings.id
        return id.hasPrefix("w") ? Int(id.dropFirst().prefix { $0 != "-" }) ?? 1 : 1
    }

    static func start(
        count: Int,
        recordsPerSecond: Double,
        scenario: FleetBenchmark.Scenario,
        capacityFraction: Double
    ) async throws -> Fleet {
        let directory = try TemporaryDirectory(prefix: "lepton-bench-fleet")
        let ids = (0..<count).map { id($0, scenario: scenario) }
        printError("fleet: issuing \(count) agent certificates")
        let pki = try TestPKI(directory: directory.file("pki"), agents: ids)
        let (agentPort, httpPort) = (try ChildProcess.freePort(), try ChildProcess.freePort())

        var agents: [SimulatedAgent] = []
        for id in ids {
            var settings = SimulatedAgent.Settings(
                id: id,
                tls: try LeptonTLS.clientContext(pki.agentTLS(id)),
                port: agentPort,
                recordsPerSecond: recordsPerSecond
            )
            settings.maxPendingBatches = 600
            if scenario == .fidelity {
                // A backlog of a minute of production: the ladder is climbed once a quarter of it is used.
                settings.maxPendingBatches = max(4, Int(recordsPerSecond * 60) / settings.batchRecords)
                settings.ladder = ladder
                settings.fidelity.raiseAfter = .seconds(5)
                settings.fidelity.lowerAfter = .seconds(10)
            }
            if scenario == .storm { settings.tick = .seconds(1) }
            agents.append(try SimulatedAgent(settings: settings))
        }
        let batchesPerSecond = recordsPerSecond / Double(agents[0].settings.batchRecords)
        let demand = Double(count) * batchesPerSecond * Double(agents[0].rawBatchBytes)
        let capacity = scenario == .storm ? demand * 10 : demand * capacityFraction

        let collector = Daemon(
            program: "lepton-collector",
            configPath: directory.file("collector.yaml"),
            directory: directory.path
        )
        try writeConfig(directory: directory, pki: pki, ports: (agentPort, httpPort), capacity: capacity)
        try collector.start()
        let ready = await HTTPResponse.waitUntilReady(port: httpPort, timeout: .seconds(30))
        guard ready else { throw BenchmarkFailure("the collector did not start: \(collector.logs.suffix(2000))") }
        printError("fleet: \(count) agents connecting; demand \(Int(demand)) raw B/s, capacity \(Int(capacity))")
        let tasks = agents.map { agent in Task { await agent.run() } }
        return Fleet(
            directory: directory,
            pki: pki,
            collector: collector,
            ports: (agentPort, httpPort),
            agents: agents,
            tasks: tasks,
            demand: demand,
            capacity: capacity
        )
    }

    private static func writeConfig(
        directory: TemporaryDirectory,
        pki: TestPKI,
        ports: (agent: Int, http: Int),
        capacity: Double
    ) throws {
        let tls = pki.collectorTLS
        try """
        listen: 127.0.0.1:\(ports.agent)
        tls: { ca: \(tls.ca), cert: \(tls.cert), key: \(tls.key) }
        http: { listen: 127.0.0.1:\(ports.http) }
        storage: { type: sqlite, path: \(directory.file("lepton.db")), max_bytes_per_second: \(Int(capacity)) }
        limits: { max_frame_bytes: 64KiB, credit_window_bytes: 256KiB, heartbeat: 10s, handshake_timeout: 60s }
        backpressure:
          weights: { "w2-*": 2, "w4-*": 4 }
        log: { level: warning }
        """.write(toFile: directory.file("collector.yaml"), atomically: true, encoding: .utf8)
    }

    /// Changes the store's capacity (raw bytes/s) with a configuration reload (SIGHUP).
    func setCapacity(_ rawBytesPerSecond: Double) throws {
        try Self.writeConfig(
            directory: directory,
            pki: pki,
            ports: (agentPort, httpPort),
            capacity: rawBytesPerSecond
        )
        guard let pid = collector.pid else { throw BenchmarkFailure("the collector is not running") }
        kill(pid, SIGHUP)
    }

    /// The collector's resident memory now, and at its peak (`VmHWM`), in bytes.
    func collectorRSS(peak: Bool = false) -> Int {
        guard let pid = collector.pid,
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        else { return 0 }
        let key = peak ? "VmHWM:" : "VmRSS:"
        let line = status.split(separator: "\n").first { $0.hasPrefix(key) }
        let kilobytes = line.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        return kilobytes * 1_024
    }

    struct Phase {
        /// Wire bytes/s acknowledged to all agents together, over the phase's second half.
        var achieved: Double
        var jainAchieved: Double
        var jainGranted: Double
        var achievedByWeight: [Int: Double]
        /// When the aggregate rate settled within ±15% of the target for 3 s, from the phase's start.
        var converged: Duration?
        var saturated: Bool
        var peakRSS: Int
    }

    /// Samples the agents every half second for `seconds`.
    func watch(seconds: Int, targetRawBytesPerSecond: Double) async throws -> Phase {
        let target = targetRawBytesPerSecond * wirePerRaw
        let start = ContinuousClock.now
        var samples: [(ContinuousClock.Instant, [Int])] = []
        var converged: Duration?
        var streakStart: Duration?
        var peakRSS = 0
        while ContinuousClock.now - start < .seconds(seconds) {
            try await Task.sleep(for: .milliseconds(500))
            let now = ContinuousClock.now
            samples.append((now, agents.map(\.counters.bytesAcknowledged)))
            peakRSS = max(peakRSS, collectorRSS())
            if samples.count % 20 == 0 {
                let state = try? await HTTPResponse.get(port: httpPort, path: "/api/v1/backpressure").body
                printError("fleet: \(String(format: "%5.1f", (now - start).inSeconds)) s \(state ?? "")")
            }
            // The aggregate rate over the last 2 s.
            guard let earlier = samples.last(where: { now - $0.0 >= .seconds(2) }) else { continue }
            let rate =
                Double(samples.last!.1.reduce(0, +) - earlier.1.reduce(0, +)) / (now - earlier.0).inSeconds
            if abs(rate - target) <= 0.15 * target {
                if streakStart == nil { streakStart = now - start }
                if converged == nil, let streak = streakStart, (now - start) - streak >= .seconds(3) {
                    converged = streak
                }
            } else {
                streakStart = nil
            }
        }
        let half = samples[samples.count / 2]
        let last = samples.last!
        let elapsed = (last.0 - half.0).inSeconds
        let perAgent = zip(half.1, last.1).map { Double($1 - $0) / elapsed }
        var byWeight: [Int: [Double]] = [:]
        for (agent, rate) in zip(agents, perAgent) { byWeight[weight(of: agent), default: []].append(rate) }
        let (granted, saturated) = try await collectorShares()
        return Phase(
            achieved: perAgent.reduce(0, +),
            jainAchieved: jainIndex(perAgent),
            jainGranted: jainIndex(granted),
            achievedByWeight: byWeight.mapValues { $0.reduce(0, +) / Double($0.count) },
            converged: converged,
            saturated: saturated,
            peakRSS: peakRSS
        )
    }

    /// Granted rates of the connected agents, and whether the store is saturated, from the collector's API.
    func collectorShares() async throws -> (granted: [Double], saturated: Bool) {
        let agents = try await HTTPResponse.get(port: httpPort, path: "/api/v1/agents").json() as? [[String: Any]]
        let granted = (agents ?? []).compactMap { agent -> Double? in
            guard let credit = agent["credit"] as? [String: Any] else { return nil }
            return (credit["granted_bytes_per_second"] as? NSNumber)?.doubleValue
        }
        let backpressure =
            try await HTTPResponse.get(port: httpPort, path: "/api/v1/backpressure").json() as? [String: Any]
        return (granted, backpressure?["saturated"] as? Bool ?? false)
    }

    /// Waits until every agent was welcomed once; returns when, and the collector's peak RSS.
    func waitForAllConnected(timeout: Duration) async -> (Duration?, Int) {
        let start = ContinuousClock.now
        let (done, peak) = await waitUntil(timeout: timeout) {
            self.agents.allSatisfy { $0.counters.firstWelcome != nil }
        }
        return (done.map { $0 - start }, peak)
    }

    /// Polls `condition` every half second; returns when it held (nil on timeout) and the collector's peak RSS.
    func waitUntil(
        timeout: Duration,
        _ condition: () -> Bool
    ) async -> (ContinuousClock.Instant?, Int) {
        let deadline = ContinuousClock.now + timeout
        var peak = 0
        while ContinuousClock.now < deadline {
            peak = max(peak, collectorRSS())
            if condition() { return (.now, max(peak, collectorRSS(peak: true))) }
            try? await Task.sleep(for: .milliseconds(500))
        }
        return (nil, max(peak, collectorRSS(peak: true)))
    }

    /// Stops the agents, then reconciles their counts with what the collector stored.
    func accounting(startRSS: Int, peakRSS: Int) async throws -> [String] {
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        // Let the commits in flight finish before asking the store.
        try await Task.sleep(for: .seconds(2))
        let stored = try await HTTPResponse.get(port: httpPort, path: "/api/v1/agents").json() as? [[String: Any]]
        var storedByAgent: [String: Int] = [:]
        for agent in stored ?? [] {
            if let id = agent["agent"] as? String { storedByAgent[id] = (agent["records"] as? NSNumber)?.intValue ?? 0 }
        }
        var produced = 0.0
        var unaccounted = 0.0
        var acknowledgedNotStored = 0
        var totals = SimulatedAgent.Counters()
        for agent in agents {
            let counters = agent.counters
            produced += counters.produced
            totals.acknowledged += counters.acknowledged
            totals.dropped += counters.dropped
            totals.pending += counters.pending
            totals.reduced += counters.reduced
            unaccounted +=
                counters.produced - counters.reduced - counters.unbatched
                - Double(counters.acknowledged + counters.dropped + counters.pending)
            acknowledgedNotStored += max(0, counters.acknowledged - (storedByAgent[agent.settings.id] ?? 0))
        }
        let peak = max(peakRSS, collectorRSS(peak: true))
        return [
            ReportText.row(["records (all agents)", "count"]),
            ReportText.row(["---", "---:"]),
            ReportText.row(["produced at full fidelity", ReportText.grouped(Int(produced))]),
            ReportText.row(["acknowledged (stored)", ReportText.grouped(totals.acknowledged)]),
            ReportText.row(["summarised by a reduction level", ReportText.grouped(Int(totals.reduced))]),
            ReportText.row(["dropped, counted (backlog full)", ReportText.grouped(totals.dropped)]),
            ReportText.row(["still pending in the agents", ReportText.grouped(totals.pending)]),
            ReportText.row(["lost without being counted (agents' books)", "\(Int(unaccounted.rounded()))"]),
            ReportText.row(["acknowledged but not in the store", "\(acknowledgedNotStored)"]),
            ReportText.row([
                "collector RSS: start / peak",
                String(format: "%.0f / %.0f MiB", Double(startRSS) / 1_048_576, Double(peak) / 1_048_576),
            ]),
        ]
    }

    func stop() async {
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        _ = await collector.stop(timeout: .seconds(30))
        directory.remove()
    }
}
