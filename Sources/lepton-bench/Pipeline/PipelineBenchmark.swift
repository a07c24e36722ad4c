import ArgumentParser
import LeptonRuntime

/// `lepton-bench pipeline`: the agent's parsers and processors on lines and samples in memory, and how much the
/// reducing processors keep and how far their output, read back, is from every sample.
struct PipelineBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Parser and processor speed, and the processors' reduction and reconstruction error.",
        discussion: """
            Prints a Markdown report on standard output and progress on standard error. Exits non-zero when a \
            generated line does not parse, or when a deadband or swinging door output, read back, is farther from a \
            sample than its bound.
            """
    )

    @Option(name: .long, help: "Lines per parser format (default 100000; 10000 with --quick).")
    var lines: Int?

    @Option(name: .long, help: "Samples per signal for the processors (default 100000; 10000 with --quick).")
    var samples: Int?

    @Flag(name: .long, help: "10,000 lines and samples and short timing runs, for tests.")
    var quick = false

    func validate() throws {
        if let lines, lines < 1 {
            throw ValidationError("--lines must be at least 1")
        }
        if let samples, samples < 2 {
            throw ValidationError("--samples must be at least 2")
        }
    }

    func run() async throws {
        MachineDescription.warnIfDebugBuild()
        let lineCount = lines ?? (quick ? 10_000 : 100_000)
        let sampleCount = samples ?? (quick ? 10_000 : 100_000)
        let minimum: Duration = quick ? .milliseconds(50) : .milliseconds(500)
        do {
            let report = try measure(lineCount: lineCount, sampleCount: sampleCount, minimum: minimum)
            print(report.markdown)
        } catch {
            printError("pipeline: error: \(error)")
            throw ExitCode(1)
        }
    }

    /// Every measurement, in the order of the report; throws `BenchmarkFailure` when a check fails.
    private func measure(lineCount: Int, sampleCount: Int, minimum: Duration) throws -> PipelineReport {
        let readings = SensorReading.generate(count: lineCount)
        var parsers: [ParserThroughput] = []
        for workload in ParserWorkload.all(from: readings) {
            printError("pipeline: parser \(workload.name): \(workload.lines.count) lines")
            parsers.append(try ParserThroughput.measure(workload, minimum: minimum))
        }

        let temperature = SyntheticSignals.temperature(count: sampleCount)
        printError("pipeline: processors on \(temperature.name): \(temperature.count) samples")
        let processors = ProcessorThroughput.measure(temperature, minimum: minimum)

        let signals = [
            temperature,
            SyntheticSignals.power(count: sampleCount),
            SyntheticSignals.accelerometer(count: sampleCount),
            SyntheticSignals.counter(count: sampleCount),
        ]
        var reductions: [ReductionRow] = []
        for signal in signals {
            printError("pipeline: reduction of \(signal.name): \(signal.count) samples")
            reductions.append(contentsOf: try ReductionRow.measure(signal))
        }
        return PipelineReport(
            machine: .current(),
            parsers: parsers,
            processorSignal: temperature,
            processors: processors,
            signals: signals,
            reductions: reductions,
            minimumMeasurement: minimum
        )
    }
}
