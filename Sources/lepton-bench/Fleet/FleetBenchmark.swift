import ArgumentParser
import Foundation
import LeptonCollector
import LeptonCore
import LeptonTestSupport

/// `lepton-bench fleet`: many simulated agents (``SimulatedAgent``, real mutual TLS, one certificate each) in this
/// process against a real `lepton-collector` process whose store is throttled (`storage.max_bytes_per_second`), to
/// measure the credit scheduler: fairness, convergence after a capacity change, weighted shares, a reconnect storm,
/// and the agents' adaptive fidelity.
struct FleetBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Simulated agents against a throttled collector: fairness, convergence, storm, fidelity.",
        discussion: "Prints a Markdown report on standard output and progress on standard error."
    )

    enum Scenario: String, ExpressibleByArgument, CaseIterable {
        /// Equal weights, capacity at `--capacity` of demand, then halved, then doubled back.
        case fair
        /// Weights 1, 2 and 4 in equal numbers of agents.
        case weighted
        /// Every agent connects at once.
        case storm
        /// Capacity cut to a tenth of demand, then restored: the reduction levels rise and fall.
        case fidelity
    }

    @Argument(help: "fair, weighted, storm or fidelity.")
    var scenario: Scenario

    @Option(name: .long, help: "Simulated agents (default 1000; 10000 for storm).")
    var agents: Int?

    @Option(name: .long, help: "Records per second each agent produces (default 100; 1 for storm).")
    var rate: Double?

    @Option(name: .long, help: "The store's capacity as a fraction of the agents' demand (default 0.1).")
    var capacity = 0.1

    @Option(name: .long, help: "Seconds each phase runs (default 30).")
    var phase = 30

    func validate() throws {
        if let agents, agents < 1 { throw ValidationError("--agents must be at least 1") }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        if capacity <= 0 { throw ValidationError("--capacity must be positive") }
        if phase < 5 { throw ValidationError("--phase must be at least 5 seconds") }
    }

    func run() async throws {
        MachineDescription.warnIfDebugBuild()
        raiseFileLimit()
        let count = agents ?? (scenario == .storm ? 10_000 : 1_000)
        let perAgent = rate ?? (scenario == .storm ? 1 : 100)
        let fleet = try await Fleet.start(
            count: count,
            recordsPerSecond: perAgent,
            scenario: scenario,
            capacityFraction: scenario == .fidelity ? 0.1 : capacity
        )
        do {
            let sections = try await measure(fleet)
            await fleet.stop()
            print(
                ReportText.document(
                    title: "# lepton-bench fleet \(scenario.rawValue)",
                    header: ReportText.header(
                        machine: .current(),
                        details: "\(count) simulated agents × \(ReportText.significant(perAgent)) records/s "
                            + "(batches of 100, 20% log lines), one collector process, SQLite store throttled"
                    ),
                    sections: sections
                )
            )
        } catch {
            await fleet.stop()
            throw error
        }
    }

    func measure(_ fleet: Fleet) async throws -> [[String]] {
        switch scenario {
        case .fair: try await fair(fleet)
        case .weighted: try await weighted(fleet)
        case .storm: try await storm(fleet)
        case .fidelity: try await fidelity(fleet)
        }
    }

    // MARK: Scenarios

    func fair(_ fleet: Fleet) async throws -> [[String]] {
        var rows = [
            ReportText.row([
                "phase", "capacity (raw B/s)", "achieved (wire B/s)", "Jain, achieved", "Jain, granted",
                "converged after", "saturated",
            ]),
            ReportText.row(["---", "---:", "---:", "---:", "---:", "---:", "---"]),
        ]
        let startRSS = fleet.collectorRSS()
        var peakRSS = startRSS
        for (name, factor) in [("capacity 1/10 of demand", 1.0), ("halved", 0.5), ("doubled back", 1.0)] {
            let target = fleet.capacity * factor
            try fleet.setCapacity(target)
            let phase = try await fleet.watch(seconds: phase, targetRawBytesPerSecond: target)
            peakRSS = max(peakRSS, phase.peakRSS)
            rows.append(
                ReportText.row([
                    name, ReportText.grouped(Int(target)), ReportText.grouped(Int(phase.achieved)),
                    String(format: "%.3f", phase.jainAchieved), String(format: "%.3f", phase.jainGranted),
                    phase.converged.map { String(format: "%.1f s", $0.inSeconds) } ?? "not within the phase",
                    phase.saturated ? "yes" : "no",
                ])
            )
        }
        return [rows, try await fleet.accounting(startRSS: startRSS, peakRSS: peakRSS)]
    }

    func weighted(_ fleet: Fleet) async throws -> [[String]] {
        let phase = try await fleet.watch(seconds: phase, targetRawBytesPerSecond: fleet.capacity)
        var rows = [
            ReportText.row(["weight", "agents", "mean achieved (wire B/s)", "ratio to weight 1", "expected"]),
            ReportText.row(["---", "---:", "---:", "---:", "---:"]),
        ]
        let base = phase.achievedByWeight[1] ?? 0
        for weight in [1, 2, 4] {
            let mean = phase.achievedByWeight[weight] ?? 0
            rows.append(
                ReportText.row([
                    "\(weight)", "\(fleet.agents.filter { fleet.weight(of: $0) == weight }.count)",
                    ReportText.grouped(Int(mean)), base > 0 ? String(format: "%.3f", mean / base) : "–",
                    "\(weight).000",
                ])
            )
        }
        return [rows, try await fleet.accounting(startRSS: fleet.collectorRSS(), peakRSS: phase.peakRSS)]
    }

    func storm(_ fleet: Fleet) async throws -> [[String]] {
        let (allConnected, peakRSS) = await fleet.waitForAllConnected(timeout: .seconds(600))
        let counters = fleet.agents.map(\.counters)
        let goAways = counters.reduce(0) { $0 + $1.goAways }
        var failures: [String: Int] = [:]
        for counter in counters { failures.merge(counter.failures, uniquingKeysWith: +) }
        let stillOut = counters.filter { $0.firstWelcome == nil }.count
        return [
            [
                ReportText.row(["storm", "value"]),
                ReportText.row(["---", "---:"]),
                ReportText.row(["agents connecting at once", ReportText.grouped(fleet.agents.count)]),
                ReportText.row([
                    "time until all were welcomed",
                    allConnected.map { String(format: "%.1f s", $0.inSeconds) } ?? "not within 600 s",
                ]),
                ReportText.row(["agents never welcomed", "\(stillOut)"]),
                ReportText.row(["sessions deferred by admission control (GOAWAY overloaded)", "\(goAways)"]),
                ReportText.row([
                    "connection failures, all retried",
                    failures.isEmpty
                        ? "0"
                        : failures.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                            .joined(separator: ", "),
                ]),
                ReportText.row(["collector peak RSS", String(format: "%.0f MiB", Double(peakRSS) / 1_048_576)]),
            ]
        ]
    }

    func fidelity(_ fleet: Fleet) async throws -> [[String]] {
        let cut = try await fleet.watch(seconds: phase, targetRawBytesPerSecond: fleet.capacity)
        let levelsUnderCut = fleet.agents.map(\.counters.level)
        try fleet.setCapacity(fleet.demand * 2)
        let restored = ContinuousClock.now
        let (backToRaw, _) = await fleet.waitUntil(timeout: .seconds(180)) {
            fleet.agents.allSatisfy { $0.counters.level == 0 }
        }
        let histogram = Dictionary(grouping: levelsUnderCut, by: { $0 }).mapValues(\.count)
        var rows = [
            ReportText.row(["fidelity", "value"]),
            ReportText.row(["---", "---:"]),
            ReportText.row(["capacity", "1/10 of demand for \(phase) s, then 2× demand"]),
            ReportText.row(["achieved under the cut (wire B/s)", ReportText.grouped(Int(cut.achieved))]),
        ]
        for (level, name) in Fleet.ladderNames.enumerated() {
            rows.append(ReportText.row(["agents at \(name) at the end of the cut", "\(histogram[level] ?? 0)"]))
        }
        rows.append(
            ReportText.row([
                "time to return every agent to raw after the capacity returned",
                backToRaw.map { String(format: "%.1f s", ($0 - restored).inSeconds) } ?? "not within 180 s",
            ])
        )
        return [rows, try await fleet.accounting(startRSS: fleet.collectorRSS(), peakRSS: cut.peakRSS)]
    }

    /// Up to 65,536 descriptors: each agent has a socket here and one in the collector (which inherits the limit).
    func raiseFileLimit() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = min(limit.rlim_max, 65_536)
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
