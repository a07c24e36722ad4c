import LeptonCore
import Logging
import Prometheus

/// Splits bytes into lines, joins multi-line records, and parses each record into an event, counting what it
/// cannot use. Every event carries the offset just past its last line, so a file source can checkpoint it.
struct LineReader {
    let source: String
    private var parser: EventParser
    private var splitter: LineSplitter
    private var joiner: MultilineJoiner?
    private let metrics: AgentMetrics
    private let logger: Logger
    private let truncated: Counter
    private var errors = ParseErrorLog()

    init(
        source: String,
        parser: ParserConfig,
        multiline: MultilineConfig?,
        metrics: AgentMetrics,
        logger: Logger,
        maxLineBytes: Int
    ) {
        self.source = source
        self.parser = EventParser(config: parser, name: source)
        self.metrics = metrics
        self.logger = logger
        splitter = LineSplitter(maxLineBytes: maxLineBytes)
        joiner = multiline.map(MultilineJoiner.init)
        truncated = metrics.truncatedLines(source: source)
        // The series exists (at 0) from the start of the source; the pipeline does the same for `produced`.
        metrics.dropped(0, source: source, reason: "parse_error")
    }

    /// For each event the last call returned, the offset just past its last line.
    private(set) var eventEnds: [Int64] = []

    /// Parses the complete records in `bytes`, which start at offset `base` of the input.
    mutating func push(_ bytes: UnsafeRawBufferPointer, at base: Int64) -> [Event] {
        let before = splitter.truncatedLines
        let lines = splitter.push(bytes)
        truncated.increment(by: Int64(splitter.truncatedLines - before))
        let ends = splitter.lineEnds.map { base + Int64($0) }
        return parse(join(lines, ends: ends))
    }

    /// A multi-line record that waited its `timeout` for more lines, parsed.
    mutating func expire() -> [Event] {
        guard let joined = joiner?.expire(now: .now) else {
            eventEnds.removeAll()
            return []
        }
        return parse([(joined.text, joined.end)])
    }

    /// The end of the input (EOF, a rotated or truncated file) at offset `end`: the last line even without its
    /// newline, and any pending multi-line record.
    mutating func finish(at end: Int64) -> [Event] {
        var records: [(String, Int64)] = []
        if let line = splitter.finish() {
            records = join([line], ends: [end])
        }
        if let joined = joiner?.flush() { records.append((joined.text, joined.end)) }
        return parse(records)
    }

    private mutating func join(_ lines: [String], ends: [Int64]) -> [(String, Int64)] {
        guard joiner != nil else { return Array(zip(lines, ends)) }
        var records: [(String, Int64)] = []
        let now = ContinuousClock.now
        for (line, end) in zip(lines, ends) {
            if let joined = joiner?.push(line, end: end, now: now) { records.append((joined.text, joined.end)) }
        }
        return records
    }

    private mutating func parse(_ records: [(text: String, end: Int64)]) -> [Event] {
        eventEnds.removeAll(keepingCapacity: true)
        guard !records.isEmpty else { return [] }
        let now = wallClockNanoseconds()
        var events: [Event] = []
        events.reserveCapacity(records.count)
        var rejected = 0
        for record in records {
            do {
                if let event = try parser.parse(record.text, readTime: now) {
                    events.append(event)
                    eventEnds.append(record.end)
                }
            } catch {
                rejected += 1
                errors.record(error, line: record.text, source: source, logger: logger)
            }
        }
        if rejected > 0 {
            // Counted as produced and dropped, so produced = acknowledged + dropped + pending still holds.
            metrics.produced(rejected, source: source)
            metrics.dropped(rejected, source: source, reason: "parse_error")
        }
        return events
    }
}

/// Logs the first parse error of a source, then at most one summary a minute: a broken producer must not
/// flood the journal.
struct ParseErrorLog {
    private var suppressed = 0
    private var lastLogged: ContinuousClock.Instant?
    static let interval: Duration = .seconds(60)

    mutating func record(_ error: ParseError, line: String, source: String, logger: Logger) {
        let now = ContinuousClock.now
        if let lastLogged, now - lastLogged < Self.interval {
            suppressed += 1
            return
        }
        var metadata: Logger.Metadata = ["source": "\(source)", "error": "\(error)", "line": "\(line.prefix(200))"]
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        logger.warning("line does not parse; dropped and counted", metadata: metadata)
        suppressed = 0
        lastLogged = now
    }
}

/// How a line-oriented source (file, stdin) reads: parser, multi-line joining, longest line.
struct LineSettings: Sendable {
    var parser: ParserConfig
    var multiline: MultilineConfig?
    var maxLineBytes: Int

    func reader(source: String, metrics: AgentMetrics, logger: Logger) -> LineReader {
        LineReader(
            source: source,
            parser: parser,
            multiline: multiline,
            metrics: metrics,
            logger: logger,
            maxLineBytes: maxLineBytes
        )
    }
}
