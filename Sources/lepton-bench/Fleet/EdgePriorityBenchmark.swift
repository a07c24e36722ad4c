import ArgumentParser
import Foundation
import LeptonCollector
import LeptonCore
import LeptonTestSupport

/// `lepton-bench edge-priority`: a critical source behind a growing bulk backlog, against a store cut to a tenth
/// (`--capacity`) of the demand.
///
/// One `Agent` (the library the executable runs) reads InfluxDB lines of random-walk sensors from a pipe (the bulk,
/// priority 0, no fidelity ladder, so its backlog grows) and runs `echo 1` five times a second (the alarm, priority
/// `--alarm-priority`). The collector in this process keeps its default limits (a 16 MiB credit window). Every
/// second of the cut, the report samples how old the newest stored record of each is: how long a record waits
/// between being read and being stored. Run it with `--alarm-priority 0` to see the same without priorities.
struct EdgePriorityBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge-priority",
        abstract: "A critical source behind a bulk backlog under a cut store: how long its records wait.",
        discussion: "Prints a Markdown report on standard output and progress on standard error."
    )

    @OptionGroup var options: CutStoreOptions

    @Option(name: .long, help: "Seconds the store is cut (default 60).")
    var cut = 60

    @Option(name: .long, help: "The alarm source's priority; the bulk source has 0 (default 10).")
    var alarmPriority = 10

    static let agentID = "edge-priority"

    func validate() throws {
        if cut < 10 { throw ValidationError("--cut must be at least 10 s") }
        if !(-1000...1000).contains(alarmPriority) { throw ValidationError("--alarm-priority must be -1000 to 1000") }
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
                  - type: exec
                    name: alarm
                    command: [echo, "1"]
                    interval: 200ms
                    parser: number
                    priority: \(alarmPriority)
                """,
            settings: """
                spool: { max_bytes: 512MiB, segment_bytes: 4MiB }
                """
        )
        defer { rig.remove() }
        let (agent, database) = (rig.agent, rig.database)
        let (elapsed, progress) = (rig.elapsed, rig.progress)
        let store = try SQLiteSink(path: database)
        var newest: [String: Int64] = [:]
        /// Seconds since the newest stored record of `stream` was read.
        func age(_ stream: String) async throws -> Double? {
            let now = wallClockNanoseconds()
            let records = try await store.query(
                agent: Self.agentID,
                stream: stream,
                from: newest[stream] ?? now - 600_000_000_000,
                to: nil,
                limit: Int.max
            )
            if let latest = records.map(\.timestamp).max() { newest[stream] = max(newest[stream] ?? 0, latest) }
            return newest[stream].map { Double(now - $0) / 1e9 }
        }

        _ = try await rig.warmUpThenCut(for: cut)
        var alarmAges: [Double] = []
        var bulkAges: [Double] = []
        for second in 0..<cut {
            try await Task.sleep(for: .seconds(1))
            let alarm = try await age("alarm") ?? .infinity
            let bulk = try await age(SensorGenerator.stream(0)) ?? .infinity
            // The second half of the cut: the credit banked before it is spent, the backlog has built up.
            if second >= cut / 2 {
                alarmAges.append(alarm)
                bulkAges.append(bulk)
            }
            if second % 10 == 9 {
                let metrics = agent.metrics()
                progress(
                    String(
                        format:
                            "%@: newest stored alarm %.1f s old, bulk %.1f s old; advised %.0f B/s, %.0f batches held",
                        elapsed(),
                        alarm,
                        bulk,
                        metrics.sum("lepton_agent_advised_bytes_per_second"),
                        metrics.sum("lepton_agent_spool_batches")
                    )
                )
            }
        }
        let heldAtEnd = Int(agent.metrics().sum("lepton_agent_spool_batches"))
        let restoredAt = rig.restoreCapacity()
        await rig.closeInput()
        var drained: Double?
        for _ in 0..<600 where drained == nil {
            try await Task.sleep(for: .seconds(1))
            if agent.metrics().sum("lepton_agent_spool_batches") == 0 {
                drained = (ContinuousClock.now - restoredAt).inSeconds
            }
        }
        progress("\(elapsed()): spool drained after \(drained.map { String(format: "%.0f s", $0) } ?? "—")")
        try await agent.stop()
        let metrics = agent.metrics()
        try await rig.collector.stop()

        var stored: [String: Int] = [:]
        for stream in try await StoredRecords.streams(database: database, agent: Self.agentID) {
            let count = try await StoredRecords.records(database: database, agent: Self.agentID, stream: stream).count
            stored[stream == "alarm" ? "alarm" : "sensors", default: 0] += count
        }
        print(
            ReportText.document(
                title: "# lepton-bench edge-priority",
                header: ReportText.header(
                    machine: .current(),
                    details: "one agent: bulk \(sensors) sensors × \(rate) values/s (InfluxDB lines on stdin, "
                        + "priority 0), alarm `echo 1` every 200 ms (priority \(alarmPriority)); collector "
                        + "in-process with default limits, SQLite store throttled to \(capacity) of the demand for "
                        + "\(cut) s, then twice the demand"
                ),
                sections: [
                    waits(alarm: alarmAges, bulk: bulkAges, held: heldAtEnd, drained: drained),
                    accounting(metrics: metrics, stored: stored),
                ]
            )
        )
    }

    func waits(alarm: [Double], bulk: [Double], held: Int, drained: Double?) -> [String] {
        func seconds(_ values: [Double], _ quantile: Double) -> String {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return "–" }
            return String(format: "%.1f s", sorted[min(sorted.count - 1, Int(Double(sorted.count) * quantile))])
        }
        return [
            ReportText.row(["age of the newest stored record, second half of the cut", "alarm", "bulk"]),
            ReportText.row(["---", "---:", "---:"]),
            ReportText.row(["median", seconds(alarm, 0.5), seconds(bulk, 0.5)]),
            ReportText.row(["max", seconds(alarm, 1), seconds(bulk, 1)]),
            ReportText.row(["at the end of the cut", seconds(alarm.suffix(1), 0), seconds(bulk.suffix(1), 0)]),
            "",
            ReportText.row(["after the cut", "value"]),
            ReportText.row(["---", "---:"]),
            ReportText.row(["batches in the spool at the end of the cut", ReportText.grouped(held)]),
            ReportText.row([
                "spool drained after the capacity returned", drained.map { String(format: "%.0f s", $0) } ?? "no",
            ]),
        ]
    }

    func accounting(metrics: PrometheusText, stored: [String: Int]) -> [String] {
        var rows = [
            ReportText.row(["records", "alarm", "bulk"]),
            ReportText.row(["---", "---:", "---:"]),
        ]
        for (label, name) in [
            ("produced", "lepton_agent_records_total"),
            ("acknowledged", "lepton_agent_records_acknowledged_total"),
            ("dropped, counted", "lepton_agent_records_dropped_total"),
        ] {
            rows.append(
                ReportText.row(
                    [label]
                        + ["alarm", "sensors"].map { ReportText.grouped(Int(metrics.sum(name, where: ["source": $0]))) }
                )
            )
        }
        rows.append(
            ReportText.row([
                "stored", ReportText.grouped(stored["alarm"] ?? 0), ReportText.grouped(stored["sensors"] ?? 0),
            ])
        )
        return rows
    }
}
