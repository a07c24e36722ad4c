import Foundation
import LeptonCore

/// The Markdown report of `lepton-bench pipeline`.
struct PipelineReport {
    var machine: MachineDescription
    var parsers: [ParserThroughput]
    /// The signal the processor speeds were measured on.
    var processorSignal: Signal
    var processors: [ProcessorThroughput]
    /// The signals of the reduction table, for their ranges.
    var signals: [Signal]
    var reductions: [ReductionRow]
    var minimumMeasurement: Duration

    var markdown: String {
        let lineCount = parsers.first?.workload.lines.count ?? 0
        return ReportText.document(
            title: "## Pipeline parsers and processors (`lepton-bench pipeline`)",
            header: ReportText.header(
                machine: machine,
                details: "\(ReportText.grouped(lineCount)) lines per parser format, "
                    + "\(ReportText.grouped(processorSignal.count)) samples per signal"
            ),
            sections: [parserTable, processorTable, reductionTable, notes]
        )
    }

    private var parserTable: [String] {
        var lines = [
            "### Parsers",
            "",
            "One thread, `PipelineKernels.parse` (the agent's `EventParser`) over every line; every line gave an event.",
            "",
            "| format | settings | lines | bytes/line | lines/s | MB/s |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for row in parsers {
            let cells = [
                row.workload.name,
                "`\(row.workload.settings)`",
                ReportText.grouped(row.workload.lines.count),
                String(format: "%.1f", row.bytesPerLine),
                ReportText.grouped(Int(row.linesPerSecond.rounded())),
                String(format: "%.1f", row.bytesPerSecond / 1e6),
            ]
            lines.append(ReportText.row(cells))
        }
        lines.append("")
        lines.append("The first line of each format:")
        lines.append("")
        lines.append("```text")
        for row in parsers {
            lines.append(row.workload.lines.first ?? "")
        }
        lines.append("```")
        return lines
    }

    private var processorTable: [String] {
        var lines = [
            "### Processors",
            "",
            "One thread, `PipelineKernels.process` (the agent's `ProcessorChain`, one processor) over the "
                + "\(processorSignal.name) signal, \(ReportText.grouped(processorSignal.count)) samples:",
            "",
            "| processor | settings | samples/s | records out |",
            "|---|---|---:|---:|",
        ]
        for row in processors {
            let cells = [
                row.processor,
                "`\(row.settings)`",
                ReportText.grouped(Int(row.samplesPerSecond.rounded())),
                ReportText.grouped(row.recordsOut),
            ]
            lines.append(ReportText.row(cells))
        }
        return lines
    }

    private var reductionTable: [String] {
        var lines = [
            "### Reduction and reconstruction error",
            "",
            "Thresholds are fractions of each signal's range (max − min); the value used is printed. The error is "
                + "the largest distance, over every original sample, between the sample and the output read back: "
                + "deadband holds the last value sent, swinging door interpolates linearly between consecutive "
                + "points. Every error is within its bound (the run fails otherwise).",
            "",
            "| signal | processor | setting | samples in | records out | reduction (in/out) | max error | error/bound |",
            "|---|---|---|---:|---:|---:|---:|---:|",
        ]
        for row in reductions {
            let cells = [
                row.signal,
                row.processor,
                "`\(row.setting)`",
                ReportText.grouped(row.samplesIn),
                ReportText.grouped(row.recordsOut),
                String(format: "%.1f", row.ratio),
                row.maximumError.map { ReportText.significant($0) } ?? "–",
                errorShare(row),
            ]
            lines.append(ReportText.row(cells))
        }
        return lines
    }

    private var notes: [String] {
        var lines = [
            "Notes:",
            "",
            "- Parser lines are generated from seeded readings of 32 room sensors on 8 hosts (SplitMix64), about "
                + "100 ms apart; no two lines are equal. Each line is parsed on its own, as the agent reads a file.",
            "- Speeds: one thread, each measurement run for at least "
                + "\(String(format: "%.0f", minimumMeasurement.inSeconds * 1000)) ms after a warm-up pass; a "
                + "processor pass builds its chain, runs every sample (read at its own timestamp), then flushes.",
            "- Deadband uses `absolute` only; deadband and swinging door run with `max_silence: 1h`, so the "
                + "silence rule adds few points. The aggregate row keeps one `mean` per 10 s window.",
            "- The check allows 1e-9 of the bound plus 8 units in the last place of the signal's largest |value| "
                + "for the rounding of the interpolation.",
            "- Signal ranges:",
        ]
        for signal in signals {
            lines.append(
                "  - \(signal.name): \(ReportText.significant(signal.minimum)) to "
                    + "\(ReportText.significant(signal.maximum)), range \(ReportText.significant(signal.spread))"
            )
        }
        lines.append(
            "- Signals as in `lepton-bench codec`: temperature 0.1 °C steps at 1 Hz, power float32 watts at 10 Hz, "
                + "accelerometer 12-bit counts at 64 Hz, counter a cumulative byte count at 1 Hz (a ramp)."
        )
        return lines
    }

    /// The measured error as a fraction of its bound.
    private func errorShare(_ row: ReductionRow) -> String {
        guard let error = row.maximumError, let bound = row.bound, bound > 0 else { return "–" }
        return String(format: "%.3f", error / bound)
    }
}
