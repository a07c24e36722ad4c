import LeptonAgent
import LeptonCore

/// Single-threaded speed of one processor through `PipelineKernels.process`: a row of the report.
struct ProcessorThroughput: Sendable {
    /// The processor's `type`.
    var processor: String
    /// Its settings, as the report prints them.
    var settings: String
    var samplesPerSecond: Double
    var samplesIn: Int
    var recordsOut: Int

    /// The fraction of the signal's range used as the deadband and the swinging door's bound.
    static let rangeFraction = 0.01

    /// Deadband (absolute), swinging door and a 10 s aggregate of all six statistics over `signal`, each timed for
    /// at least `minimum`; every pass builds a new processor chain and runs every sample through it, then flushes.
    static func measure(_ signal: Signal, minimum: Duration) -> [ProcessorThroughput] {
        let bound = rangeFraction * signal.spread
        let bandText = "\(ReportText.significant(bound)) (\(ReportText.percent(rangeFraction)) of range)"
        let silence = "max_silence: 1h"
        let cases: [(settings: String, config: ProcessorConfig)] = [
            (
                "absolute: \(bandText), \(silence)",
                ProcessorConfig.deadband(DeadbandConfig(absolute: bound, maxSilence: ReductionRow.maxSilence))
            ),
            (
                "max_error: \(bandText), \(silence)",
                ProcessorConfig.swingingDoor(SwingingDoorConfig(maxError: bound, maxSilence: ReductionRow.maxSilence))
            ),
            ("window: 10s, all six stats", ProcessorConfig.aggregate(AggregateConfig(window: ReductionRow.window))),
        ]
        var rows: [ProcessorThroughput] = []
        for (settings, config) in cases {
            var recordsOut = 0
            let rate = Throughput.rate(minimum: minimum) {
                let records = PipelineKernels.process(
                    timestamps: signal.timestamps,
                    values: signal.values,
                    through: [config]
                )
                recordsOut = records.count
                return signal.count
            }
            rows.append(
                ProcessorThroughput(
                    processor: config.typeName,
                    settings: settings,
                    samplesPerSecond: rate,
                    samplesIn: signal.count,
                    recordsOut: recordsOut
                )
            )
        }
        return rows
    }
}
