import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonCollector

/// Records sealed into compressed blocks read back exactly as before: every query window and limit, late records,
/// latest, series from the records, rollups computed later, retention.
@Suite struct StoreBlockTests {
    static let second: Int64 = 1_000_000_000
    static let base = StoreRollupTests.base
    static let far = base + 1_000_000 * second

    /// 10,000 records of one tagged series: numbers (with NaN and infinities) and some text, times out of order
    /// inside each batch and repeating across batches.
    static func fill(_ sink: any RecordSink) async throws {
        var random = SplitMix64(seed: 3)
        for sequence in 1...10 {
            let records = (0..<1_000).map { index -> LeptonCore.Record in
                let time = base + Int64(random.next() % 5_000) * second
                let value: LeptonCore.Record.Value
                switch index % 50 {
                case 0: value = .text("event \(sequence)-\(index)")
                case 1: value = .number(.nan)
                case 2: value = .number(-.infinity)
                default: value = .number(Double(random.next() % 1_000) / 10)
                }
                return LeptonCore.Record(stream: "t", tags: ["site": "lyon"], timestamp: time, value: value)
            }
            _ = try await sink.commit(agent: "a", sequence: UInt64(sequence), records: records)
        }
    }

    static let stream = "t,site=lyon"

    static func same(_ left: [LeptonCore.Record], _ right: [LeptonCore.Record]) -> Bool {
        left.count == right.count
            && zip(left, right).allSatisfy { a, b in
                guard a.timestamp == b.timestamp, a.series == b.series else { return false }
                switch (a.value, b.value) {
                case (.number(let x), .number(let y)): return x == y || (x.isNaN && y.isNaN)
                case (.text(let x), .text(let y)): return x == y
                default: return false
                }
            }
    }

    @Test(arguments: StoreKind.available) func sealedRecordsReadBackExactlyAsBefore(kind: StoreKind) async throws {
        let store = try await TestStore(kind)
        defer { store.remove() }
        let sink = try await store.open()
        try await Self.fill(sink)
        let windows: [(Int64?, Int64?, Int)] = [
            (nil, nil, 100_000), (nil, nil, 7),
            (Self.base + 1_000 * Self.second, Self.base + 1_200 * Self.second, 100_000),
            (Self.base + 4_999 * Self.second, nil, 3), (nil, Self.base, 100),
        ]
        var before: [[LeptonCore.Record]] = []
        for (from, to, limit) in windows {
            before.append(try await sink.query(agent: "a", stream: Self.stream, from: from, to: to, limit: limit))
        }
        let seriesBefore = try await sink.series(
            agent: "a",
            stream: Self.stream,
            from: Self.base,
            to: Self.base + 5_000 * Self.second,
            step: 7 * Self.second
        )

        #expect(try await sink.compact(now: Self.far) == 10_000)
        let (head, blocks) = try await store.rows(of: sink)
        #expect(head == 0 && blocks == 3, "10,000 records: blocks of 4096, 4096 and 1808")

        for (index, (from, to, limit)) in windows.enumerated() {
            let after = try await sink.query(agent: "a", stream: Self.stream, from: from, to: to, limit: limit)
            #expect(Self.same(after, before[index]), "window \(index)")
        }
        let seriesAfter = try await sink.series(
            agent: "a",
            stream: Self.stream,
            from: Self.base,
            to: Self.base + 5_000 * Self.second,
            step: 7 * Self.second
        )
        #expect(seriesAfter.resolution == nil)
        #expect(seriesAfter.points.map(\.count) == seriesBefore.points.map(\.count))
        #expect(seriesAfter.points.map(\.last) == seriesBefore.points.map(\.last))
        try await sink.close()
    }

    @Test(arguments: StoreKind.available) func lateRecordsLatestRetentionAndALaterResolution(
        kind: StoreKind
    ) async throws {
        let store = try await TestStore(kind)
        defer { store.remove() }
        let sink = try await store.open(rollups: [.seconds(60)])
        try await Self.fill(sink)
        let all = try await sink.query(agent: "a", stream: Self.stream, from: nil, to: nil, limit: 100_000)
        _ = try await sink.compact(now: Self.far)
        // A record arrives late, in the middle of the sealed range: it stays in the head and sorts in.
        let late = LeptonCore.Record(
            stream: "t",
            tags: ["site": "lyon"],
            timestamp: Self.base + 2_500 * Self.second + 1,
            value: .number(-1)
        )
        _ = try await sink.commit(agent: "a", sequence: 11, records: [late])
        let merged = try await sink.query(agent: "a", stream: Self.stream, from: nil, to: nil, limit: 100_000)
        #expect(merged.count == all.count + 1)
        #expect(merged.map(\.timestamp) == merged.map(\.timestamp).sorted())
        // The newest record is in a block.
        let newest = all.last!
        #expect(try await sink.latest(stream: "t").map(\.record.timestamp) == [newest.timestamp])
        try await sink.close()

        // A resolution added later counts the sealed records too.
        let reopened = try await store.open(rollups: [.seconds(60), .seconds(600)])
        let tens = try await reopened.series(
            agent: "a",
            stream: Self.stream,
            from: Self.base,
            to: Self.base + 5_000 * Self.second,
            step: 600 * Self.second
        )
        let raw = try await reopened.series(
            agent: "a",
            stream: Self.stream,
            from: Self.base,
            to: Self.base + 5_000 * Self.second,
            step: 300 * Self.second
        )
        #expect(tens.resolution == 600 * Self.second)
        #expect(tens.points.reduce(0) { $0 + $1.count } == raw.points.reduce(0) { $0 + $1.count })

        // Retention removes whole blocks once their last record is past the period.
        _ = try await reopened.applyRetention(
            now: Self.base + 5_000 * Self.second + 3_600 * Self.second,
            raw: .seconds(3_600),
            rollups: [:]
        )
        #expect(try await reopened.query(agent: "a", stream: Self.stream, from: nil, to: nil, limit: 100_000).isEmpty)
        try await reopened.close()
    }
}
