import LeptonAgent
import LeptonCore

/// What one processor setting does to one signal: a row of the report's reduction table.
struct ReductionRow: Sendable {
    /// How the output is read back, and so which error is measured.
    enum Reading: Sendable {
        /// The last value holds until the next (deadband).
        case stepHold
        /// Straight lines between consecutive points (swinging door).
        case linear
        /// Window statistics: no per-sample bound.
        case statistics
    }

    var signal: String
    /// The processor's `type`.
    var processor: String
    /// The setting, as the report prints it (`absolute: 0.0039 (0.1% of range)`).
    var setting: String
    /// The configured bound on the reconstruction error; nil for `aggregate`.
    var bound: Double?
    var samplesIn: Int
    var recordsOut: Int
    /// The largest reconstruction error measured over all samples; nil for `aggregate`.
    var maximumError: Double?

    /// Samples in per record out.
    var ratio: Double { Double(samplesIn) / Double(max(1, recordsOut)) }

    /// Thresholds as fractions of the signal's range (max − min).
    static let rangeFractions = [0.001, 0.01, 0.05]
    /// `max_silence` for deadband and swinging door: long enough not to add points of its own.
    static let maxSilence: Duration = .seconds(3600)
    /// The window of the aggregate row.
    static let window: Duration = .seconds(10)

    /// Deadband and swinging door at each fraction of the signal's range, then a 10 s mean; throws
    /// `BenchmarkFailure` when a reconstruction is farther from a sample than its bound allows.
    static func measure(_ signal: Signal) throws -> [ReductionRow] {
        var rows: [ReductionRow] = []
        let spread = signal.spread
        for fraction in rangeFractions {
            let bound = fraction * spread
            let setting = "\(ReportText.significant(bound)) (\(ReportText.percent(fraction)) of range)"
            let deadband = ProcessorConfig.deadband(DeadbandConfig(absolute: bound, maxSilence: maxSilence))
            rows.append(
                try run(signal, deadband, setting: "absolute: " + setting, bound: bound, reading: .stepHold)
            )
        }
        for fraction in rangeFractions {
            let bound = fraction * spread
            let setting = "\(ReportText.significant(bound)) (\(ReportText.percent(fraction)) of range)"
            let door = ProcessorConfig.swingingDoor(SwingingDoorConfig(maxError: bound, maxSilence: maxSilence))
            rows.append(try run(signal, door, setting: "max_error: " + setting, bound: bound, reading: .linear))
        }
        let aggregate = ProcessorConfig.aggregate(AggregateConfig(window: window, stats: [.mean]))
        rows.append(try run(signal, aggregate, setting: "window: 10s, stats: [mean]", bound: nil, reading: .statistics))
        return rows
    }

    /// The allowance over a bound: 1e-9 of it, plus 8 units in the last place of the signal's largest |value| for
    /// the rounding of the interpolation itself.
    static func tolerance(bound: Double, magnitude: Double) -> Double {
        bound * 1e-9 + 8 * magnitude.ulp
    }

    private static func run(
        _ signal: Signal,
        _ processor: ProcessorConfig,
        setting: String,
        bound: Double?,
        reading: Reading
    ) throws -> ReductionRow {
        let records = PipelineKernels.process(
            timestamps: signal.timestamps,
            values: signal.values,
            through: [processor]
        )
        let context = "\(signal.name), \(processor.typeName) \(setting)"
        var maximumError: Double?
        do {
            switch reading {
            case .stepHold: maximumError = try Reconstruction.stepHoldError(of: records, against: signal)
            case .linear: maximumError = try Reconstruction.linearError(of: records, against: signal)
            case .statistics: maximumError = nil
            }
        } catch {
            throw BenchmarkFailure("\(context): \(error)")
        }
        if let bound, let measured = maximumError,
            !(measured <= bound + tolerance(bound: bound, magnitude: signal.magnitude))
        {
            throw BenchmarkFailure(
                "\(context): reconstruction error \(measured) exceeds the bound \(bound) "
                    + "(\(records.count) records out of \(signal.count) samples)"
            )
        }
        return ReductionRow(
            signal: signal.name,
            processor: processor.typeName,
            setting: setting,
            bound: bound,
            samplesIn: signal.count,
            recordsOut: records.count,
            maximumError: maximumError
        )
    }
}
