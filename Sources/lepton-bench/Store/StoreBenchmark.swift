import ArgumentParser
import Foundation
import LeptonCollector
import LeptonCore
import LeptonRuntime
import LeptonTestSupport

/// `lepton-bench store`: the collector's store (SQLite, or PostgreSQL with `--postgres`): ingest rate and bytes on
/// disk per sample, and how long a day of one stream takes to read as records, as hourly points from the records,
/// and from the rollups.
struct StoreBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Collector store: ingest rate, bytes per sample, query latency of records vs rollups.",
        discussion: """
            Prints a Markdown report on standard output and progress on standard error. With --postgres, the run \
            creates a database of its own on that server (the URL's user must be allowed to) and drops it at the end.
            """
    )

    @Option(name: .long, help: "A PostgreSQL server (postgres://USER@HOST:PORT/DB) to measure instead of SQLite.")
    var postgres: String?

    @Option(name: .long, help: "Agents committing at once, the streams shared among them (default 1).")
    var writers = 1

    @Option(name: .long, help: "Streams, each sampled at 1 Hz (default 100; 4 with --quick).")
    var streams: Int?

    @Option(name: .long, help: "Hours of data per stream (default 24; 1 with --quick).")
    var hours: Int?

    @Flag(name: .long, help: "A small run, for tests.")
    var quick = false

    func validate() throws {
        if let streams, streams < 1 { throw ValidationError("--streams must be at least 1") }
        if let hours, hours < 1 { throw ValidationError("--hours must be at least 1") }
        if writers < 1 { throw ValidationError("--writers must be at least 1") }
        if let postgres {
            do {
                _ = try PostgresStorage(url: postgres)
            } catch {
                throw ValidationError("--postgres: \(error.message)")
            }
        }
    }

    func run() async throws {
        MachineDescription.warnIfDebugBuild()
        let streamCount = streams ?? (quick ? 4 : 100)
        let hourCount = hours ?? (quick ? 1 : 24)
        let store = try await BenchStore.make(postgres: postgres)
        do {
            try await measure(store, streamCount: streamCount, hourCount: hourCount)
        } catch {
            await store.remove()
            throw error
        }
        await store.remove()
    }

    func measure(_ store: BenchStore, streamCount: Int, hourCount: Int) async throws {

        let seconds = hourCount * 3_600
        let samples = streamCount * seconds
        let base: Int64 = 1_795_910_400 * 1_000_000_000
        printError(
            "store: ingesting \(samples) samples (\(streamCount) streams × \(seconds) s at 1 Hz) into \(store.name), "
                + "\(writers) writer(s)"
        )
        let sink = try await store.open()
        let clock = ContinuousClock()
        let started = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                let mine = Array(stride(from: writer, to: streamCount, by: writers))
                group.addTask {
                    try await Self.ingest(into: sink, agent: writer, streams: mine, seconds: seconds, base: base)
                }
            }
            try await group.waitForAll()
        }
        let ingest = clock.now - started
        try await sink.close()
        let bytes = try await store.bytesOnDisk()

        printError("store: queries over one stream's \(hourCount) h, from rows")
        let rowQueries = try await Self.queries(store: store, seconds: seconds, base: base)
        printError("store: sealing the records into blocks")
        let sealer = try await store.open()
        let sealStart = clock.now
        let sealed = try await sealer.compact(now: base + Int64(seconds + 7_200) * 1_000_000_000)
        let sealing = clock.now - sealStart
        try await store.reclaim(sealer)
        try await sealer.close()
        let blockBytes = try await store.bytesOnDisk()
        printError("store: the same queries, from blocks")
        let blockQueries = try await Self.queries(store: store, seconds: seconds, base: base)
        var rows: [String] = []
        for (row, block) in zip(rowQueries, blockQueries) {
            rows.append(
                ReportText.row([row.name, ReportText.grouped(row.count), row.milliseconds, block.milliseconds])
            )
        }
        let rate = Double(samples) / ingest.inSeconds
        let report = ReportText.document(
            title: "# lepton-bench store (\(store.name))",
            header: ReportText.header(
                machine: .current(),
                details:
                    "\(streamCount) streams × \(hourCount) h at 1 Hz, batches of 1,000 records, rollups 1m and 1h, "
                    + "\(writers) agent(s) committing at once"
            ),
            sections: [
                [
                    ReportText.row(["ingest", "value"]),
                    ReportText.row(["---", "---:"]),
                    ReportText.row(["samples", ReportText.grouped(samples)]),
                    ReportText.row(["ingest rate (records/s, \(store.durability))", ReportText.grouped(Int(rate))]),
                    ReportText.row([
                        "store size, one row per record", String(format: "%.1f MB", Double(bytes) / 1e6),
                    ]),
                    ReportText.row([
                        "bytes on disk per sample (records + rollups + indexes)",
                        String(format: "%.1f", Double(bytes) / Double(samples)),
                    ]),
                    ReportText.row([
                        "sealing into blocks (records/s)", ReportText.grouped(Int(Double(sealed) / sealing.inSeconds)),
                    ]),
                    ReportText.row([
                        "store size, blocks (after \(store.reclaimCommand))",
                        String(format: "%.1f MB", Double(blockBytes) / 1e6),
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

    static func agent(_ writer: Int) -> String { "edge-\(writer + 1)" }

    /// One agent's samples, in batches of 1,000 records as an agent sends them.
    static func ingest(
        into sink: any RecordSink,
        agent writer: Int,
        streams: [Int],
        seconds: Int,
        base: Int64
    )
        async throws
    {
        var random = SplitMix64(seed: UInt64(writer + 1))
        var values = streams.map { _ in 20.0 }
        var batch: [Record] = []
        batch.reserveCapacity(1_000)
        var sequence: UInt64 = 0
        for second in 0..<seconds {
            for (index, stream) in streams.enumerated() {
                // A temperature-like random walk in 0.1 steps, as a sensor reports it.
                values[index] = ((values[index] + Double(Int(random.next() % 3) - 1) * 0.1) * 10).rounded() / 10
                batch.append(
                    Record(
                        stream: "sensor.\(stream).temp",
                        timestamp: base + Int64(second) * 1_000_000_000,
                        value: .number(values[index])
                    )
                )
                if batch.count == 1_000 {
                    sequence += 1
                    _ = try await sink.commit(agent: agent(writer), sequence: sequence, records: batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
        }
        if !batch.isEmpty {
            sequence += 1
            _ = try await sink.commit(agent: agent(writer), sequence: sequence, records: batch)
        }
    }
}

extension StoreBenchmark {
    struct Timed {
        var name: String
        var count: Int
        var milliseconds: String
    }

    /// One stream's whole range four ways, each the median of seven runs.
    static func queries(store: BenchStore, seconds: Int, base: Int64) async throws -> [Timed] {
        let reader = try await store.open()
        let rawOnly = try await store.open(rollups: [])
        let end = base + Int64(seconds) * 1_000_000_000 - 1
        let hour: Int64 = 3_600 * 1_000_000_000
        let stream = "sensor.0.temp"
        let queries: [(String, () async throws -> Int)] = [
            (
                "all records (`query`)",
                { try await reader.query(agent: agent(0), stream: stream, from: base, to: end, limit: seconds).count }
            ),
            (
                "hourly points from the records",
                {
                    try await rawOnly.series(agent: agent(0), stream: stream, from: base, to: end, step: hour).points
                        .count
                }
            ),
            (
                "hourly points from the 1h rollups",
                {
                    try await reader.series(agent: agent(0), stream: stream, from: base, to: end, step: hour).points
                        .count
                }
            ),
            (
                "minute points from the 1m rollups",
                {
                    try await reader.series(agent: agent(0), stream: stream, from: base, to: end, step: 60_000_000_000)
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
