import AsyncAlgorithms
import LeptonCore
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `lepton-agent preview`: runs sources and their processors without spool or shipping, writes each record as
/// it would be sent, then a table of records in and out of every processor, so an operator can tune a deadband
/// before deploying it. With a fidelity level, sources with a `fidelity` ladder run at that rung (stage
/// `N:fidelity`), to see what each rung of a ladder would send under backpressure.
public struct Preview: Sendable {
    let config: AgentConfig
    let sources: [SourceConfig]
    /// Lines (file, stdin) or a command's output (exec) read from this file instead of the source's own input.
    let input: String?
    let duration: Duration
    /// The rung of their `fidelity` ladder the sources run at; 0 (raw) by default.
    let fidelityLevel: Int
    let logger: Logger

    /// Errors a preview reports before it starts: an unknown source, `--input` on a sensor source.
    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    public init(
        config: AgentConfig,
        source: String?,
        input: String?,
        duration: Duration,
        fidelityLevel: Int = 0,
        logger: Logger
    ) throws {
        if let source {
            guard let selected = config.sources.first(where: { $0.name == source }) else {
                let names = config.sources.map(\.name).joined(separator: ", ")
                throw Problem(description: "no source named '\(source)'; the configuration has: \(names)")
            }
            sources = [selected]
        } else {
            sources = config.sources
        }
        if input != nil {
            if let sensor = sources.first(where: { $0.typeName == "sensor" }) {
                throw Problem(
                    description: "--input replaces the lines of file, stdin and exec sources; '\(sensor.name)' is a "
                        + "sensor source (choose another with --source)"
                )
            }
            if sources.count > 1 {
                throw Problem(description: "--input feeds one source; choose it with --source")
            }
        }
        if fidelityLevel != 0 {
            let ladders = sources.filter { $0.fidelity.count > 1 }
            guard let longest = ladders.map(\.fidelity.count).max() else {
                throw Problem(description: "--fidelity-level needs a source with a fidelity ladder")
            }
            guard (0..<longest).contains(fidelityLevel) else {
                throw Problem(description: "--fidelity-level must be 0 to \(longest - 1) (rungs of the longest ladder)")
            }
        }
        self.config = config
        self.input = input
        self.duration = duration
        self.fidelityLevel = fidelityLevel
        self.logger = logger
    }

    /// What one source did during a preview.
    struct SourceTable: Sendable {
        var source: String
        var stages: [StageCounts]
        /// Records that came out of the last processor.
        var records: Int
    }

    /// Runs the sources side by side for `duration` (or until `--input` is read), writing records as they come
    /// and then the table to `write`.
    public func run(write: @escaping @Sendable (String) -> Void) async throws {
        let metrics = AgentMetrics()
        let built = try sources.map { try makePreviewSource($0, metrics: metrics) }
        let tables = await withTaskGroup(of: (Int, SourceTable).self) { group in
            for (index, source) in sources.enumerated() {
                group.addTask { (index, await self.preview(source, built: built[index], write: write)) }
            }
            var tables: [(Int, SourceTable)] = []
            for await table in group { tables.append(table) }
            return tables.sorted { $0.0 < $1.0 }.map(\.1)
        }
        write("")
        for line in Self.table(tables) { write(line) }
    }

    /// Runs one source and its processors, writing each record.
    private func preview(
        _ source: SourceConfig,
        built: any Source,
        write: @Sendable (String) -> Void
    ) async
        -> SourceTable
    {
        let channel = AsyncChannel<SourceEvent>()
        let output = EventOutput(channel: channel)
        var stage = RecordStage(
            source: source.name,
            chain: ProcessorChain(
                source: source.name,
                processors: source.processors,
                fidelity: source.fidelity,
                hostname: hostName(),
                metrics: nil
            ),
            metrics: nil
        )
        // A ladder shorter than the level asked for runs at its last rung.
        _ = stage.setFidelityLevel(min(fidelityLevel, max(source.fidelity.count - 1, 0)))
        var table = SourceTable(
            source: source.name,
            stages: stage.chain.labels.map { StageCounts(label: $0) },
            records: 0
        )
        func show(_ list: [Record]) {
            for record in list { write(Self.line(record)) }
            table.records += list.count
        }
        func add(_ counts: [StageCounts]) {
            for (index, count) in counts.enumerated() {
                table.stages[index].incoming += count.incoming
                table.stages[index].outgoing += count.outgoing
                table.stages[index].dropped.merge(count.dropped, uniquingKeysWith: +)
            }
        }
        let duration = input == nil ? duration : nil
        let runner = Task {
            try? await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await built.run(into: output) }
                if let duration {
                    group.addTask { try await Task.sleep(for: duration) }
                }
                _ = try await group.next()
                group.cancelAll()
            }
            channel.finish()
        }
        for await event in channel {
            guard case .events(let events, _) = event else { continue }
            let now = wallClockNanoseconds()
            for event in events { show(stage.records(from: event, now: now)) }
            add(stage.publish())
        }
        await runner.value
        show(stage.flush(now: wallClockNanoseconds()))
        add(stage.publish())
        return table
    }

    private func makePreviewSource(_ source: SourceConfig, metrics: AgentMetrics) throws -> any Source {
        guard let input else {
            return makeSource(source, resume: { [] }, standardInput: 0, metrics: metrics, logger: logger)
        }
        switch source.kind {
        case .file(let file):
            return try StdinSource(
                name: source.name,
                lines: LineSettings(file.lines),
                metrics: metrics,
                logger: logger,
                descriptor: Self.open(input)
            )
        case .stdin(let lines):
            return try StdinSource(
                name: source.name,
                lines: LineSettings(lines),
                metrics: metrics,
                logger: logger,
                descriptor: Self.open(input)
            )
        case .exec(let exec):
            var replay = exec
            replay.command = ["/bin/cat", input]
            return ExecSource(name: source.name, config: replay, metrics: metrics, logger: logger).once()
        case .sensor:
            throw Problem(description: "--input does not apply to sensor source '\(source.name)'")
        }
    }

    private static func open(_ path: String) throws -> Int32 {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw Problem(description: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        return descriptor
    }

    /// `2026-11-29T12:00:00.000Z thermal.zone0.temp,site=lyon 41.2`
    static func line(_ record: Record) -> String {
        let value: String
        switch record.value {
        case .number(let number): value = "\(number)"
        case .text(let text): value = "\"\(text.replacing("\n", with: "\\n"))\""
        }
        return "\(formatRFC3339(nanoseconds: record.timestamp)) \(record.series.text) \(value)"
    }

    /// The per-processor table: records in and out, what was removed by reason, and the reduction (in ÷ out).
    static func table(_ tables: [SourceTable]) -> [String] {
        var rows = [["source", "processor", "in", "out", "removed", "reduction"]]
        for table in tables {
            if table.stages.isEmpty {
                rows.append([table.source, "(none)", "\(table.records)", "\(table.records)", "", "1.0x"])
            }
            for stage in table.stages {
                let removed = stage.dropped.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                rows.append([
                    table.source, stage.label, "\(stage.incoming)", "\(stage.outgoing)",
                    removed.joined(separator: " "), ratio(stage.incoming, stage.outgoing),
                ])
            }
            if let first = table.stages.first, table.stages.count > 1 {
                rows.append([
                    table.source, "(all)", "\(first.incoming)", "\(table.records)", "",
                    ratio(first.incoming, table.records),
                ])
            }
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            let cells = zip(row, widths).map { $0 + String(repeating: " ", count: max(0, $1 - $0.count)) }
            return String(cells.joined(separator: "  ").trimmingWhitespace)
        }
    }

    private static func ratio(_ incoming: Int, _ outgoing: Int) -> String {
        guard outgoing > 0 else { return incoming > 0 ? "all removed" : "-" }
        let tenths = Int((Double(incoming) / Double(outgoing) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)x"
    }
}
