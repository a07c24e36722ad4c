import ArgumentParser
import Foundation
import LeptonCollector
import LeptonCore
import LeptonRuntime
import LeptonTestSupport

/// `lepton-bench store`: the collector's SQLite store: ingest rate and bytes on disk per sample, and how long a
/// day of one stream takes to read as records, as hourly points from the records, and from the rollups.
struct StoreBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "SQLite store: ingest rate, bytes per sample, query latency of records vs rollups.",
        discussion: "Prints a Markdown report on standard output and progress on standard error."
    )

    @Option(name: .long, help: "Streams, each sampled at 1 Hz (default 100; 4 with --quick).")
    var streams: Int?

    @Option(name: .long, help: "Hours of data per stream (default 24; 1 with --quick).")
    var hours: Int?

    @Flag(name: .long, help: "A small run, for tests.")
    var quick = false

    func validate() throws {
        if let streams, streams < 1 { throw ValidationError("--streams must be at least 1") }
        if let hours, hours < 1 { throw ValidationError("--hours must be at least 1") }
    }

    func run() async throws {
        MachineDescription.warnIfDebugBuild()
        let streamCount = streams ?? (quick ? 4 : 100)
        let hourCount = hours ?? (quick ? 1 : 24)
        let directory = NSTemporaryDirectory() + "lepton-bench-store-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/lepton.db"

        let seconds = hourCount * 3_600
        let samples = streamCount * seconds
        let base: Int64 = 1_795_910_400 * 1_000_000_000
        printError("store: ingesting \(samples) samples (\(streamCount) streams × \(seconds) s at 1 Hz)")
        let sink = try SQLiteSink(path: path)
        var random = SplitMix64(seed: 1)
        var values = (0..<streamCount).map { _ in 20.0 }
        var batch: [Record] = []
        batch.reserveCapacity(1_000)
        var sequence: UInt64 = 0
        let clock = ContinuousClock()
        let started = clock.now
        for second in 0..<seconds {
            for stream in 0..<streamCount {
                // A temperature-like random walk in 0.1 steps, as a sensor reports it.
                values[stream] = ((values[stream] + Double(Int(random.next() % 3) - 1) * 0.1) * 10).rounded() / 10
                batch.append(
                    Record(
                        stream: "sensor.\(stream).temp",
                        timestamp: base + Int64(second) * 1_000_000_000,
                        value: .number(values[stream])
                    )
                )
                if batch.count == 1_000 {
                    sequence += 1
                    _ = try await sink.commit(agent: "edge-01", sequence: sequence, records: batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
        }
        if !batch.isEmpty {
            sequence += 1
            _ = try await sink.commit(agent: "edge-01", sequence: sequence, records: batch)
        }
        let ingest = clock.now - started
        try await sink.close()
        let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0

        printError("store: queries over one stream's \(hourCount) h, from rows")
        let rowQueries = try await Self.queries(path: path, seconds: seconds, base: base)
        printError("store: sealing the records into blocks")
        let sealer = try SQLiteSink(path: path)
        let sealStart = clock.now
        let sealed = try await sealer.compact(now: base + Int64(seconds + 7_200) * 1_000_000_000)
        let sealing = clock.now - sealStart
        try await sealer.vacuum()
        try await sealer.close()
        let blockBytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        printError("store: the same queries, from blocks")
        let blockQueries = try await Self.queries(path: path, seconds: seconds, base: base)
        var rows: [String] = []
        for (row, block) in zip(rowQueries, blockQueries) {
            rows.append(
                ReportText.row([row.name, ReportText.grouped(row.count), row.milliseconds, block.milliseconds])
            )
        }
        let rate = Double(samples) / ingest.inSeconds
        let report = ReportText.document(
            title: "# lepton-bench store",
            header: ReportText.header(
                machine: .current(),
                details: "\(streamCount) streams × \(hourCount) h at 1 Hz, batches of 1,000 records, rollups 1m and 1h"
            ),
            sections: [
                [
                    ReportText.row(["ingest", "value"]),
                    ReportText.row(["---", "---:"]),
                    ReportText.row(["samples", ReportText.grouped(samples)]),
                    ReportText.row([
                        "ingest rate (records/s, one writer, synchronous=FULL)", ReportText.grouped(Int(rate)),
                    ]),
                    ReportText.row([
                        "database size, one row per record", String(format: "%.1f MB", Double(bytes) / 1e6),
                    ]),
                    ReportText.row([
                        "bytes on disk per sample (records + rollups + indexes)",
                        String(format: "%.1f", Double(bytes) / Double(samples)),
                    ]),
                    ReportText.row([
                        "sealing into blocks (records/s)", ReportText.grouped(Int(Double(sealed) / sealing.inSeconds)),
                    ]),
                    ReportText.row([
                        "database size, blocks (after VACUUM)", String(format: "%.1f MB", Double(blockBytes) / 1e6),
                    ]),
                    ReportText.row([
                        "bytes on disk per sample, blocks (+ rollups)",
                        String(format: "%.2f", Double(blockBytes) / Double(samples)),
                    ]),
                ],
                [
                    ReportText.row([
                        "query over one stream's \(hourCount) h (median of 7)", "rows returned", "ms, rows",
                        "ms, blocks",
                    ]),
                    ReportText.row(["---", "---:", "---:", "---:"]),
                ] + rows,
            ]
        )
        print(report)
    }
}

extension StoreBenchmark {
    struct Timed {
        var name: String
        var count: Int
        var milliseconds: String
    }

    /// One stream's whole range four ways, each the median of seven runs.
    static func queries(path: String, seconds: Int, base: Int64) async throws -> [Timed] {
        let reader = try SQLiteSink(path: path)
        let rawOnly = try SQLiteSink(path: path, rollups: [])
        let end = base + Int64(seconds) * 1_000_000_000 - 1
        let hour: Int64 = 3_600 * 1_000_000_000
        let stream = "sensor.0.temp"
        let queries: [(String, () async throws -> Int)] = [
            (
                "all records (`query`)",
                { try await reader.query(agent: "edge-01", stream: stream, from: base, to: end, limit: seconds).count }
            ),
            (
                "hourly points from the records",
                {
                    try await rawOnly.series(agent: "edge-01", stream: stream, from: base, to: end, step: hour).points
                        .count
                }
            ),
            (
                "hourly points from the 1h rollups",
                {
                    try await reader.series(agent: "edge-01", stream: stream, from: base, to: end, step: hour).points
                        .count
                }
            ),
            (
                "minute points from the 1m rollups",
                {
                    try await reader.series(agent: "edge-01", stream: stream, from: base, to: end, step: 60_000_000_000)
                        .points.count
                }
            ),
        ]
        let clock = ContinuousClock()
        var results: [Timed] = []
        for (name, query) in queries {
            var times: [Duration] = []
            var count = 0
            for _ in 0..<7 {
                let start = clock.now
                count = try await query()
                times.append(clock.now - start)
            }
            let median = times.sorted()[times.count / 2]
            results.append(
                Timed(name: name, count: count, milliseconds: String(format: "%.2f", median.inSeconds * 1_000))
            )
        }
        try await reader.close()
        try await rawOnly.close()
        return results
    }
}
