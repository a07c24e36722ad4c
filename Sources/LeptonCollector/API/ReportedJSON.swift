import LeptonCore

/// `"reported"` of an agent: its latest record counts and fidelity levels, or `null`.
// swift-format-ignore: AlwaysUseLowerCamelCase
struct ReportedJSON: Encodable {
    struct Report: Encodable, Equatable {
        var at_ns: Int64
        var started_at_ns: UInt64
        var sources: [Source]
        /// `raw`, or each source above rung 0 as `SOURCE: RUNG` (`Message.Stats.reductionLevel`).
        var reduction_level: String
        /// The sources with a fidelity ladder, as sent; omitted when none has one.
        var fidelity: [Fidelity]?
    }

    struct Source: Encodable, Equatable {
        var source: String
        var produced: UInt64
        var acknowledged: UInt64
        var pending: UInt64
        /// Records dropped, by reason.
        var dropped: [String: UInt64]
    }

    /// Where one source stands on its fidelity ladder.
    struct Fidelity: Encodable, Equatable {
        var source: String
        /// Index of the current rung in `ladder` (0 = `raw`).
        var level: Int
        /// Name of the current rung.
        var rung: String
        /// Rung names, `raw` first.
        var ladder: [String]
        /// Milliseconds spent at each rung of `ladder` since the agent started, in the same order.
        var ms_at_level: [UInt64]
        /// Records the ladder summarised or removed since the agent started.
        var reduced: UInt64

        init(_ entry: Message.Stats.SourceFidelity) {
            source = entry.source
            level = Int(entry.level)
            rung = entry.currentRung
            ladder = entry.rungs.map(\.name)
            ms_at_level = entry.rungs.map(\.milliseconds)
            reduced = entry.reduced
        }
    }

    var report: Report?

    init(report: Report?) {
        self.report = report
    }

    init(_ report: AgentReports.Report) {
        let sources = report.stats.sources.map { source -> Source in
            // A reason repeated in the frame is summed.
            let dropped = Dictionary(source.dropped.map { ($0.reason, $0.count) }, uniquingKeysWith: { $0 &+ $1 })
            return Source(
                source: source.source,
                produced: source.produced,
                acknowledged: source.acknowledged,
                pending: source.pending,
                dropped: dropped
            )
        }
        let fidelity = report.stats.fidelity.map(Fidelity.init)
        self.report = Report(
            at_ns: report.receivedAt,
            started_at_ns: report.stats.startedAt,
            sources: sources,
            reduction_level: report.stats.reductionLevel,
            fidelity: fidelity.isEmpty ? nil : fidelity
        )
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let report {
            try container.encode(report)
        } else {
            try container.encodeNil()
        }
    }
}
