import LeptonAgent

/// Single-threaded speed of one parser format through `PipelineKernels.parse`: a row of the report.
struct ParserThroughput: Sendable {
    var workload: ParserWorkload
    var linesPerSecond: Double

    /// Mean bytes per line, without the line end.
    var bytesPerLine: Double { Double(workload.byteCount) / Double(max(1, workload.lines.count)) }
    /// Input bytes per second.
    var bytesPerSecond: Double { linesPerSecond * bytesPerLine }

    /// Checks that every line gives an event, then times the parser over all lines for at least `minimum`.
    ///
    /// Throws `BenchmarkFailure` naming the first line that does not parse.
    static func measure(_ workload: ParserWorkload, minimum: Duration) throws -> ParserThroughput {
        let parsed = PipelineKernels.parse(workload.lines, with: workload.parser)
        if parsed != workload.lines.count {
            let failing = workload.lines.firstIndex { PipelineKernels.parse([$0], with: workload.parser) != 1 }
            let detail = failing.map { "line \($0 + 1): \(workload.lines[$0])" } ?? "no single line fails on its own"
            throw BenchmarkFailure(
                "\(workload.name): \(parsed) of \(workload.lines.count) lines gave an event; \(detail)"
            )
        }
        let rate = Throughput.rate(minimum: minimum) {
            PipelineKernels.parse(workload.lines, with: workload.parser)
        }
        return ParserThroughput(workload: workload, linesPerSecond: rate)
    }
}
