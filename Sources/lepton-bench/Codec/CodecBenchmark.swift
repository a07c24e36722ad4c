import ArgumentParser
import LeptonRuntime

/// `lepton-bench codec`: bytes per sample and speed of `ColumnarCodec` on generated and recorded signals,
/// against CSV and JSON lines with zlib and gzip and a reference Gorilla encoder.
struct CodecBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Bytes per sample and speed of the columnar codec against CSV, JSON lines and Gorilla.",
        discussion: """
            Prints a Markdown report on standard output and progress on standard error. Exits non-zero when a \
            batch does not round-trip bit for bit.
            """
    )

    /// The unit: one BATCH frame's worth of one stream.
    static let batchSize = 1000
    static let procInterval: Duration = .milliseconds(10)

    @Option(name: .long, help: "Samples per signal (default 100000; 10000 with --quick).")
    var samples: Int?

    @Option(
        name: .customLong("signal"),
        help: "A signal to run; repeat for several (default: all). proc records real values from this machine's /proc."
    )
    var signals: [SignalKind] = []

    @Flag(name: .long, help: "10,000 samples per signal and short timing runs, for tests.")
    var quick = false

    @Option(name: .long, help: "Seconds to record /proc for the proc signal (default 2; 0.5 with --quick).")
    var procSeconds: Double?

    func validate() throws {
        if let samples, samples < 1 {
            throw ValidationError("--samples must be at least 1")
        }
        if let procSeconds, !(procSeconds > 0 && procSeconds <= 600) {
            throw ValidationError("--proc-seconds must be above 0 and at most 600")
        }
    }

    func run() async throws {
        MachineDescription.warnIfDebugBuild()
        let count = samples ?? (quick ? 10_000 : 100_000)
        let minimum: Duration = quick ? .milliseconds(50) : .milliseconds(500)
        let (generated, procNote) = try await makeSignals(count: count)

        var rows: [CodecBenchmarkRow] = []
        for signal in generated {
            printError("codec: \(signal.name): \(signal.count) samples")
            let batches = signal.batches(of: Self.batchSize)
            do {
                let sizes = try SizeMeasurement.measure(batches, signal: signal.name)
                let speed = try SpeedMeasurement.measure(batches, minimum: minimum)
                rows.append(CodecBenchmarkRow(signal: signal.name, sizes: sizes, speed: speed))
            } catch {
                printError("codec: error: \(error)")
                throw ExitCode(1)
            }
        }
        let report = CodecReport(
            rows: rows,
            machine: .current(),
            samplesPerSignal: count,
            batchSize: Self.batchSize,
            minimumMeasurement: minimum,
            procNote: procNote
        )
        print(report.markdown)
    }

    /// The selected signals in the order given (duplicates dropped), and a note on the `/proc` traces if any.
    private func makeSignals(count: Int) async throws -> (signals: [Signal], procNote: String?) {
        var seen: Set<SignalKind> = []
        let kinds = signals.isEmpty ? SignalKind.allCases : signals.filter { seen.insert($0).inserted }
        var result: [Signal] = []
        var procNote: String?
        for kind in kinds {
            if let signal = SyntheticSignals.signal(kind, count: count) {
                result.append(signal)
                continue
            }
            let seconds = procSeconds ?? (quick ? 0.5 : 2)
            printError("codec: recording /proc every 10 ms for \(seconds) s")
            guard let trace = try await ProcTrace.record(duration: .seconds(seconds), interval: Self.procInterval)
            else {
                printError("codec: warning: /proc cannot be read here; the proc signals are skipped")
                procNote = "proc: skipped, /proc could not be read on this machine."
                continue
            }
            result.append(contentsOf: trace.signals(count: count))
            procNote =
                "The proc rows are real values recorded from this machine while the benchmark ran: /proc/stat "
                + "cpu user ticks, /proc/loadavg 1-minute load and /proc/meminfo MemAvailable (kB), read every "
                + "10 ms for \(seconds) s (\(trace.recordedCount) samples, wall-clock timestamps in ns), then "
                + "repeated to \(count) samples (timestamps continue with the recorded intervals, the tick counter "
                + "with its recorded increments). Repeats inside a batch favour the zlib methods; "
                + "`--proc-seconds 10` records about one whole batch."
        }
        return (result, procNote)
    }
}
