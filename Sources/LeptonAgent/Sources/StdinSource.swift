import Foundation
import LeptonCore
import Logging
import NIOPosix
import Prometheus

/// One record per line of standard input; ends at EOF.
struct StdinSource: Source {
    let name: String
    let parser: LineParser
    let metrics: AgentMetrics
    let logger: Logger
    var descriptor: Int32 = 0
    var maxLineBytes = 1 << 20

    func run(into output: RecordOutput) async throws {
        var state = LineReader(source: name, parser: parser, metrics: metrics, maxLineBytes: maxLineBytes)
        while !Task.isCancelled {
            let chunk = try await NIOThreadPool.singleton.runIfActive { [descriptor] in
                try Self.read(descriptor: descriptor, waitingAtMost: 200)
            }
            guard let chunk else { continue }
            if chunk.isEmpty {
                await output.emit(state.finish())
                logger.info("stdin closed", metadata: ["source": "\(name)"])
                return
            }
            await output.emit(chunk.withUnsafeBytes { state.push($0) })
        }
    }

    /// Waits up to `milliseconds` for input (so cancellation is noticed), then reads what is there.
    /// nil: nothing yet; empty: end of input.
    static func read(descriptor: Int32, waitingAtMost milliseconds: Int32) throws -> [UInt8]? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, milliseconds)
        if ready == 0 { return nil }
        if ready < 0 {
            if errno == EINTR { return nil }
            throw AgentError("poll on stdin failed: \(String(cString: strerror(errno)))")
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR || errno == EAGAIN { return nil }
            throw AgentError("reading stdin failed: \(String(cString: strerror(errno)))")
        }
        return Array(buffer.prefix(count))
    }
}

/// Splits bytes into lines and parses them into records of one stream, counting what it cannot use.
struct LineReader {
    let source: String
    let parser: LineParser
    private var splitter: LineSplitter
    private let metrics: AgentMetrics
    private let truncated: Counter

    init(source: String, parser: LineParser, metrics: AgentMetrics, maxLineBytes: Int) {
        self.source = source
        self.parser = parser
        self.metrics = metrics
        splitter = LineSplitter(maxLineBytes: maxLineBytes)
        truncated = metrics.truncatedLines(source: source)
        // The series exist (at 0) from the start of the source.
        metrics.produced(0, source: source)
        metrics.dropped(0, source: source, reason: "parse_error")
    }

    /// For each record the last `push` returned, the index in its bytes just past the record's line.
    private(set) var recordEnds: [Int] = []

    mutating func push(_ bytes: UnsafeRawBufferPointer) -> [Record] {
        let before = splitter.truncatedLines
        let records = parse(splitter.push(bytes), ends: splitter.lineEnds)
        truncated.increment(by: Int64(splitter.truncatedLines - before))
        return records
    }

    /// The last line of a stream that did not end with a newline, as a record.
    mutating func finish() -> [Record] {
        guard let line = splitter.finish() else { return [] }
        return parse([line], ends: [0])
    }

    private mutating func parse(_ lines: [String], ends: [Int]) -> [Record] {
        recordEnds.removeAll(keepingCapacity: true)
        guard !lines.isEmpty else { return [] }
        let now = wallClockNanoseconds()
        var records: [Record] = []
        records.reserveCapacity(lines.count)
        var rejected = 0
        for (line, end) in zip(lines, ends) {
            if let value = parser.value(of: line) {
                records.append(Record(stream: source, timestamp: now, value: value))
                recordEnds.append(end)
            } else {
                rejected += 1
            }
        }
        // Once per chunk of lines, not per line: each call takes the ledger's lock.
        metrics.produced(records.count, source: source)
        if rejected > 0 { metrics.dropped(rejected, source: source, reason: "parse_error") }
        return records
    }
}
