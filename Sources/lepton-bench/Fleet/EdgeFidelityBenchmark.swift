import ArgumentParser
import Foundation
import LeptonCollector
import LeptonCore
import LeptonTestSupport

/// `lepton-bench edge-fidelity`: the real agent's fidelity ladder against a store cut to a tenth (`--capacity`) of
/// its demand.
///
/// One `Agent` (the library the executable runs) reads InfluxDB lines of random-walk sensors from a pipe, with the
/// ladder `[raw, {deadband: 0.5}, {aggregate: 10s}, {aggregate: 60s}]`, and ships to a collector in this process
/// whose store is throttled. After a warm-up at full capacity the store takes a tenth of the demand (`--capacity`),
/// then twice the demand. The report gives the levels the agent chose and when, the time back to raw, and, from the store,
/// how well what was kept describes every value generated: the error bound of each rung, measured.
struct EdgeFidelityBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge-fidelity",
        abstract: "The real agent's fidelity ladder under a cut store: levels, time back to raw, measured error.",
        discussion: "Prints a Markdown report on standard output and progress on standard error."
    )

    @OptionGroup var options: CutStoreOptions

    @Option(name: .long, help: "Seconds the store is cut (default 90).")
    var cut = 90

    static let agentID = "edge-fidelity"
    static let ladder = "[raw, {deadband: 0.5}, {aggregate: 10s}, {aggregate: 60s}]"
    static let band = 0.5

    func validate() throws {
        if cut < 10 { throw ValidationError("--cut must be at least 10 s") }
    }

    func run() async throws {
        MachineDescription.warnIfDebugBuild()
        let (sensors, rate, capacity) = (options.sensors, options.rate, options.capacity)
        let rig = try await CutStoreRig(
            agentID: Self.agentID,
            options: options,
            sources: """
                  - type: stdin
                    name: sensors
                    parser: influx
                    fidelity: \(Self.ladder)
                """,
            settings: """
                spool: { max_bytes: 16MiB, segment_bytes: 1MiB }
                fidelity: { raise_after: 5s, lower_after: 10s, backlog_high: 0.02, backlog_low: 0.01 }
                """
        )
        defer { rig.remove() }
        let (agent, generator, database) = (rig.agent, rig.generator, rig.database)
        let (elapsed, progress) = (rig.elapsed, rig.progress)

        let cutAt = try await rig.warmUpThenCut(for: cut)
        var changes: [(at: Double, level: Int)] = []
        var level = 0
        for _ in 0..<cut {
            try await Task.sleep(for: .seconds(1))
            let now = Int(agent.metrics().sum("lepton_agent_fidelity_level", where: ["source": "sensors"]))
            if now != level {
                changes.append(((ContinuousClock.now - cutAt).inSeconds, now))
                progress("\(elapsed()): level \(now)")
                level = now
            }
        }
        let levelAtEndOfCut = level
        let restoredAt = rig.restoreCapacity()
        var backToRaw: Double?
        for _ in 0..<300 where backToRaw == nil {
            try await Task.sleep(for: .seconds(1))
            if agent.metrics().sum("lepton_agent_fidelity_level", where: ["source": "sensors"]) == 0 {
                backToRaw = (ContinuousClock.now - restoredAt).inSeconds
            }
        }
        progress("\(elapsed()): back to raw after \(backToRaw.map { String(format: "%.0f s", $0) } ?? "—")")
        await rig.closeInput()
        progress("\(elapsed()): input closed; waiting for the agent to ship everything")
        try await agent.finished()
        let metrics = agent.metrics()
        try await rig.collector.stop()

        let stored = try await StoredRecords.streams(database: database, agent: Self.agentID)
        var check = ErrorCheck()
        // A sensor's raw values and its aggregates (tagged agg=…, window=…) are separate streams of the store.
        var bySensor: [String: [Record]] = [:]
        for stream in stored {
            let records = try await StoredRecords.records(database: database, agent: Self.agentID, stream: stream)
            bySensor[String(stream.prefix { $0 != "," }), default: []] += records
        }
        for (sensor, records) in bySensor.sorted(by: { $0.key < $1.key }) {
            check.add(generated: generator.values(of: sensor), stored: records, band: Self.band)
        }
        print(
            ReportText.document(
                title: "# lepton-bench edge-fidelity",
                header: ReportText.header(
                    machine: .current(),
                    details: "one agent, \(sensors) sensors × \(rate) values/s (InfluxDB lines on stdin), ladder "
                        + "`\(Self.ladder)`; collector in-process, SQLite store throttled to \(capacity) of the demand "
                        + "for \(cut) s, then twice the demand"
                ),
                sections: [
                    timeline(
                        rungs: rig.config.sources[0].fidelity.map(\.name),
                        changes: changes,
                        atEnd: levelAtEndOfCut,
                        backToRaw: backToRaw,
                        metrics: metrics
                    ),
                    check.report(band: Self.band),
                    accounting(metrics: metrics, generated: generator.count, check: check),
                ]
            )
        )
    }

    func timeline(
        rungs names: [String],
        changes: [(at: Double, level: Int)],
        atEnd: Int,
        backToRaw: Double?,
        metrics: PrometheusText
    ) -> [String] {
        var rows = [ReportText.row(["ladder", "value"]), ReportText.row(["---", "---:"])]
        let steps = changes.map { String(format: "%.0f s → %@", $0.at, names[min($0.level, names.count - 1)]) }
        rows.append(
            ReportText.row(["level changes after the cut (time since the cut)", steps.joined(separator: ", ")])
        )
        rows.append(ReportText.row(["level at the end of the cut", names[min(atEnd, names.count - 1)]]))
        rows.append(
            ReportText.row([
                "time back to raw after the capacity returned",
                backToRaw.map { String(format: "%.0f s", $0) } ?? "not within 300 s",
            ])
        )
        for (index, name) in names.enumerated() {
            let seconds = metrics.sum(
                "lepton_agent_fidelity_seconds_total",
                where: ["source": "sensors", "level": "\(index)"]
            )
            rows.append(ReportText.row(["time at \(name)", String(format: "%.0f s", seconds)]))
        }
        return rows
    }

    func accounting(metrics: PrometheusText, generated: Int, check: ErrorCheck) -> [String] {
        let count = { (name: String) in Int(metrics.sum(name, where: ["source": "sensors"])) }
        return [
            ReportText.row(["records", "count"]),
            ReportText.row(["---", "---:"]),
            ReportText.row(["values generated", ReportText.grouped(generated)]),
            ReportText.row([
                "summarised or removed by the ladder", ReportText.grouped(count("lepton_agent_fidelity_reduced_total")),
            ]),
            ReportText.row(["produced (after the ladder)", ReportText.grouped(count("lepton_agent_records_total"))]),
            ReportText.row(["acknowledged", ReportText.grouped(count("lepton_agent_records_acknowledged_total"))]),
            ReportText.row(["dropped, counted", ReportText.grouped(count("lepton_agent_records_dropped_total"))]),
            ReportText.row(["stored", ReportText.grouped(check.stored)]),
        ]
    }
}
