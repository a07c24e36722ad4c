import ArgumentParser
import Foundation
import LeptonCollector
import LeptonCore
import LeptonTestSupport

/// The options of the benchmarks that run one real agent against a store cut to a fraction of its demand.
struct CutStoreOptions: ParsableArguments {
    @Option(name: .long, help: "Sensors (random walks) on stdin, one stream each (default 20).")
    var sensors = 20

    @Option(name: .long, help: "Values per second per sensor (default 250).")
    var rate = 250

    @Option(name: .long, help: "Seconds at full capacity before the cut (default 20).")
    var warmup = 20

    @Option(name: .long, help: "What the store takes during the cut, as a fraction of the demand (default 0.1).")
    var capacity = 0.1

    func validate() throws {
        if sensors < 1 || sensors > 1000 { throw ValidationError("--sensors must be 1 to 1000") }
        if rate < 1 || rate > 10_000 { throw ValidationError("--rate must be 1 to 10000") }
        if warmup < 5 { throw ValidationError("--warmup must be at least 5 s") }
        if capacity <= 0 || capacity >= 1 { throw ValidationError("--capacity must be between 0 and 1") }
    }
}

/// One real agent (the `Agent` library the executable runs, in this process) reading InfluxDB lines of random-walk
/// sensors from a pipe, and a collector in this process whose SQLite store is throttled: full capacity for the
/// warm-up, then cut to a fraction of the sensors' demand, then twice the demand.
struct CutStoreRig {
    /// The agent's id, also the benchmark's name in progress lines.
    let agentID: String
    let options: CutStoreOptions
    let started = ContinuousClock.now
    let directory: TemporaryDirectory
    let database: String
    let throttled: ThrottledSink
    let collector: CollectorHarness
    let config: AgentConfig
    let agent: AgentHarness
    let generator: SensorGenerator
    private let writer: Task<Void, Never>
    private let input: (read: Int32, write: Int32)

    /// Starts both; `sources` and `settings` are the agent's YAML after its `agent` and `collector` sections, the
    /// sensors being read from stdin (batches of up to 5,000 records, sealed after 250 ms).
    init(agentID: String, options: CutStoreOptions, sources: String, settings: String) async throws {
        self.agentID = agentID
        self.options = options
        directory = try TemporaryDirectory(prefix: "lepton-\(agentID)")
        let pki = try TestPKI(directory: directory.file("pki"), agents: [agentID])
        database = directory.file("lepton.db")
        throttled = ThrottledSink(try SQLiteSink(path: database), bytesPerSecond: 1 << 30)
        collector = try await CollectorHarness(
            pki: pki,
            databasePath: database,
            sink: throttled,
            logger: testLogger("collector")
        )
        let tls = pki.agentTLS(agentID)
        let yaml = """
            agent: { id: \(agentID), state_dir: \(directory.file("agent")) }
            collector:
              address: 127.0.0.1:\(collector.agentPort)
              tls: { ca: \(tls.ca), cert: \(tls.cert), key: \(tls.key) }
            sources:
            \(sources)
            batch: { max_records: 5000, max_bytes: 256KiB, linger: 250ms }
            \(settings)
            log: { level: warning }

            """
        let configPath = directory.file("agent.yaml")
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        config = try AgentConfig.load(path: configPath)
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ValidationError("pipe() failed: errno \(errno)") }
        input = (fds[0], fds[1])
        agent = try AgentHarness(config: config, standardInput: fds[0])
        let generator = SensorGenerator(sensors: options.sensors, rate: options.rate, descriptor: fds[1])
        self.generator = generator
        writer = Task { await generator.run() }
    }

    /// What the sensors produce, in bytes per second as the throttled store weighs them.
    var demand: Double {
        Double(ThrottledSink.size(generator.sampleRecords())) * Double(options.rate)
    }

    /// Waits out the warm-up, then cuts the store to `--capacity` of the demand (for `seconds`, as the progress line
    /// says); returns when.
    func warmUpThenCut(for seconds: Int) async throws -> ContinuousClock.Instant {
        progress("warm-up at full capacity, \(options.warmup) s")
        try await Task.sleep(for: .seconds(options.warmup))
        let rate = demand * options.capacity
        throttled.setBytesPerSecond(max(1, Int(rate)))
        progress("\(elapsed()): store cut to \(options.capacity) of the demand (\(Int(rate)) B/s) for \(seconds) s")
        return .now
    }

    /// Gives the store twice the demand; returns when.
    func restoreCapacity() -> ContinuousClock.Instant {
        throttled.setBytesPerSecond(Int(demand * 2))
        progress("\(elapsed()): capacity back at twice the demand")
        return .now
    }

    /// Seconds since the rig started, for progress lines.
    func elapsed() -> String {
        String(format: "%.0f s", (ContinuousClock.now - started).inSeconds)
    }

    /// A progress line on standard error.
    func progress(_ line: String) {
        FileHandle.standardError.write(Data("\(agentID): \(line)\n".utf8))
    }

    /// Stops the sensors and closes the agent's stdin.
    func closeInput() async {
        writer.cancel()
        await writer.value
        close(input.write)
    }

    /// Once the agent and the collector stopped: closes the pipe and deletes the directory.
    func remove() {
        close(input.read)
        directory.remove()
    }
}
