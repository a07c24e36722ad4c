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

    @Option(name: .long, help: "Sensors (random walks), one stream each (default 20).")
    var sensors = 20

    @Option(name: .long, help: "Values per second per sensor (default 250).")
    var rate = 250

    @Option(name: .long, help: "Seconds at full capacity before the cut (default 20).")
    var warmup = 20

    @Option(name: .long, help: "Seconds the store is cut (default 90).")
    var cut = 90

    @Option(name: .long, help: "What the store takes during the cut, as a fraction of the demand (default 0.1).")
    var capacity = 0.1

    static let agentID = "edge-fidelity"
    static let ladder = "[raw, {deadband: 0.5}, {aggregate: 10s}, {aggregate: 60s}]"
    static let band = 0.5

    func validate() throws {
        if sensors < 1 || sensors > 1000 { throw ValidationError("--sensors must be 1 to 1000") }
        if rate < 1 || rate > 10_000 { throw ValidationError("--rate must be 1 to 10000") }
        if warmup < 5 || cut < 10 { throw ValidationError("--warmup must be at least 5 s and --cut at least 10 s") }
        if capacity <= 0 || capacity >= 1 { throw ValidationError("--capacity must be between 0 and 1") }
    }

    func run() async throws {
        MachineDescription.warnIfDebugBuild()
        let directory = try TemporaryDirectory(prefix: "lepton-edge-fidelity")
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: [Self.agentID])
        let database = directory.file("lepton.db")
        let throttled = ThrottledSink(try SQLiteSink(path: database), bytesPerSecond: 1 << 30)
        let collector = try await CollectorHarness(
            pki: pki,
            databasePath: database,
            sink: throttled,
            logger: testLogger("collector")
        )
        let configPath = directory.file("agent.yaml")
        try agentYAML(pki: pki, port: collector.agentPort, state: directory.file("agent"))
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        let config = try AgentConfig.load(path: configPath)
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ValidationError("pipe() failed: errno \(errno)") }
        let agent = try AgentHarness(config: config, standardInput: fds[0])
        let generator = SensorGenerator(sensors: sensors, rate: rate, descriptor: fds[1])
        let writer = Task { await generator.run() }

        let start = ContinuousClock.now
        func elapsed() -> String { String(format: "%.0f s", (ContinuousClock.now - start).inSeconds) }
        progress("warm-up at full capacity, \(warmup) s")
        try await Task.sleep(for: .seconds(warmup))
        let demand = Double(ThrottledSink.size(generator.sampleRecords())) * Double(rate)
        throttled.setBytesPerSecond(max(1, Int(demand * capacity)))
        let cutAt = ContinuousClock.now
        progress("\(elapsed()): store cut to \(capacity) of the demand (\(Int(demand * capacity)) B/s) for \(cut) s")
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
        throttled.setBytesPerSecond(Int(demand * 2))
        let restoredAt = ContinuousClock.now
        progress("\(elapsed()): capacity back at twice the demand")
        var backToRaw: Double?
        for _ in 0..<300 where backToRaw == nil {
            try await Task.sleep(for: .seconds(1))
            if agent.metrics().sum("lepton_agent_fidelity_level", where: ["source": "sensors"]) == 0 {
                backToRaw = (ContinuousClock.now - restoredAt).inSeconds
            }
        }
        progress("\(elapsed()): back to raw after \(backToRaw.map { String(format: "%.0f s", $0) } ?? "—")")
        writer.cancel()
        await writer.value
        close(fds[1])
        progress("\(elapsed()): input closed; waiting for the agent to ship everything")
        try await agent.finished()
        let metrics = agent.metrics()
        try await collector.stop()
        close(fds[0])

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
                        rungs: config.sources[0].fidelity.map(\.name),
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

    func agentYAML(pki: TestPKI, port: Int, state: String) -> String {
        let tls = pki.agentTLS(Self.agentID)
        return """
            agent: { id: \(Self.agentID), state_dir: \(state) }
            collector:
              address: 127.0.0.1:\(port)
              tls: { ca: \(tls.ca), cert: \(tls.cert), key: \(tls.key) }
            sources:
              - type: stdin
                name: sensors
                parser: influx
                fidelity: \(Self.ladder)
            batch: { max_records: 5000, max_bytes: 256KiB, linger: 250ms }
            spool: { max_bytes: 16MiB, segment_bytes: 1MiB }
            fidelity: { raise_after: 5s, lower_after: 10s, backlog_high: 0.02, backlog_low: 0.01 }
            log: { level: warning }

            """
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

    func progress(_ line: String) {
        FileHandle.standardError.write(Data("edge-fidelity: \(line)\n".utf8))
    }
}
