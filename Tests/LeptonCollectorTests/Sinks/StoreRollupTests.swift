import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonCollector

/// Rollups kept at ingest: exact per interval, the same as computing from the records, kept across restarts,
/// computed for a resolution added later; `latest`; retention.
@Suite struct StoreRollupTests {
    static let second: Int64 = 1_000_000_000
    static let minute = 60 * second
    /// 2026-11-29T00:00:00Z, a whole hour.
    static let base: Int64 = 1_795_910_400 * second

    static func number(_ value: Double, at offset: Int64, stream: String = "t") -> Record {
        Record(stream: stream, timestamp: base + offset, value: .number(value))
    }

    /// Two batches over two minutes, out of order inside, with a text record and non-finite numbers (not rolled up).
    static func commitSample(_ sink: any RecordSink) async throws {
        _ = try await sink.commit(
            agent: "a",
            sequence: 1,
            records: [
                number(5, at: 10 * second), number(1, at: 0), number(7, at: 59 * second),
                Record(stream: "t", timestamp: base + 20 * second, value: .text("note")),
                number(.nan, at: 30 * second), number(.infinity, at: 31 * second),
            ]
        )
        _ = try await sink.commit(
            agent: "a",
            sequence: 2,
            records: [number(2, at: 61 * second), number(-3, at: 119 * second), number(4, at: 70 * second)]
        )
    }

    static let expectedMinutes = [
        SeriesPoint(time: base, count: 3, min: 1, max: 7, sum: 13, last: 7, lastTime: base + 59 * second),
        SeriesPoint(time: base + minute, count: 3, min: -3, max: 4, sum: 3, last: -3, lastTime: base + 119 * second),
    ]

    /// Both minutes in one interval.
    static let expectedTwoMinutes = SeriesPoint(
        time: base,
        count: 6,
        min: -3,
        max: 7,
        sum: 16,
        last: -3,
        lastTime: base + 119 * second
    )

    @Test(arguments: StoreKind.available) func minuteRollupsAreExactAndSurviveAReopen(kind: StoreKind) async throws {
        let store = try await TestStore(kind)
        defer { store.remove() }
        let sink = try await store.open()
        try await Self.commitSample(sink)
        let minutes = try await sink.series(
            agent: "a",
            stream: "t",
            from: Self.base,
            to: Self.base + Self.minute,
            step: Self.minute
        )
        #expect(minutes == StoredSeries(resolution: Self.minute, points: Self.expectedMinutes))
        try await sink.close()

        let reopened = try await store.open()
        let again = try await reopened.series(
            agent: "a",
            stream: "t",
            from: Self.base,
            to: Self.base + Self.minute,
            step: Self.minute
        )
        #expect(again == minutes)
        // Two minutes in one interval: folded from the one-minute rollups.
        let both = try await reopened.series(
            agent: "a",
            stream: "t",
            from: Self.base,
            to: Self.base,
            step: 2 * Self.minute
        )
        #expect(both.resolution == Self.minute)
        #expect(both.points == [Self.expectedTwoMinutes])
        // 30 s is finer than any rollup: computed from the records, with the same rules.
        let halves = try await reopened.series(
            agent: "a",
            stream: "t",
            from: Self.base,
            to: Self.base + Self.minute,
            step: 30 * Self.second
        )
        #expect(halves.resolution == nil)
        #expect(halves.points.map(\.count) == [2, 1, 2], "intervals that start within [from, to]")
        #expect(halves.points.map(\.sum) == [6, 7, 6])
        try await reopened.close()
    }

    @Test(arguments: StoreKind.available) func rollupsAgreeWithTheRecordsOnRandomData(kind: StoreKind) async throws {
        let store = try await TestStore(kind)
        defer { store.remove() }
        let rawStore = try await TestStore(kind)
        defer { rawStore.remove() }
        let withRollups = try await store.open()
        let rawOnly = try await rawStore.open(rollups: [])
        var random = SplitMix64(seed: 7)
        for sequence in 1...20 {
            let records = (0..<200).map { _ in
                Self.number(
                    Double(random.next() % 10_000) / 100 - 50,
                    at: Int64(random.next() % UInt64(3 * 3_600)) * Self.second + Int64(random.next() % 1_000)
                )
            }
            for sink in [withRollups, rawOnly] {
                _ = try await sink.commit(agent: "a", sequence: UInt64(sequence), records: records)
            }
        }
        for step in [Self.minute, 5 * Self.minute, 60 * Self.minute] {
            let end = Self.base + 3 * 60 * Self.minute
            let rolled = try await withRollups.series(agent: "a", stream: "t", from: Self.base, to: end, step: step)
            let raw = try await rawOnly.series(agent: "a", stream: "t", from: Self.base, to: end, step: step)
            #expect(rolled.resolution != nil && raw.resolution == nil)
            #expect(rolled.points.map(\.time) == raw.points.map(\.time))
            #expect(rolled.points.map(\.count) == raw.points.map(\.count))
            #expect(rolled.points.map(\.min) == raw.points.map(\.min))
            #expect(rolled.points.map(\.max) == raw.points.map(\.max))
            #expect(rolled.points.map(\.last) == raw.points.map(\.last))
            for (a, b) in zip(rolled.points, raw.points) { #expect(abs(a.sum - b.sum) < 1e-6) }
        }
        try await withRollups.close()
        try await rawOnly.close()
    }

    @Test(arguments: StoreKind.available) func aResolutionAddedLaterIsComputedFromTheRecords(
        kind: StoreKind
    ) async throws {
        let store = try await TestStore(kind)
        defer { store.remove() }
        let first = try await store.open(rollups: [.seconds(60)])
        try await Self.commitSample(first)
        try await first.close()

        let second = try await store.open(rollups: [.seconds(60), .seconds(120)])
        let both = try await second.series(
            agent: "a",
            stream: "t",
            from: Self.base,
            to: Self.base,
            step: 2 * Self.minute
        )
        #expect(both.resolution == 2 * Self.minute)
        #expect(both.points == [Self.expectedTwoMinutes])
        try await second.close()
    }

    @Test(arguments: StoreKind.available) func latestGivesTheNewestRecordOfEachAgentAndSeries(
        kind: StoreKind
    ) async throws {
        let store = try await TestStore(kind)
        defer { store.remove() }
        let sink = try await store.open()
        try await Self.commitSample(sink)
        let tagged = Record(stream: "t", tags: Tags(["site": "lyon"]), timestamp: Self.base, value: .number(9))
        _ = try await sink.commit(agent: "b", sequence: 1, records: [tagged, Self.number(1, at: 0, stream: "tx")])
        let latest = try await sink.latest(stream: "t")
        #expect(latest.map(\.agent) == ["a", "b"])
        #expect(latest.map(\.stream) == ["t", "t,site=lyon"])
        #expect(latest[0].record.timestamp == Self.base + 119 * Self.second)
        #expect(latest[0].record.value == .number(-3))
        #expect(latest[1].record.tags == tagged.tags)
        try await sink.close()
    }

    @Test(arguments: StoreKind.available) func retentionDeletesOnlyWhatIsPastItsPeriod(kind: StoreKind) async throws {
        let store = try await TestStore(kind)
        defer { store.remove() }
        let sink = try await store.open()
        try await Self.commitSample(sink)
        let now = Self.base + 10 * Self.minute
        // Records older than 9 minutes go (the first minute's, but not the second's); minute rollups are kept.
        let deleted = try await sink.applyRetention(
            now: now,
            raw: .seconds(9 * 60),
            rollups: [.seconds(3_600): .seconds(60)]
        )
        let records = try await sink.query(agent: "a", stream: "t", from: nil, to: nil, limit: 100)
        #expect(records.map(\.timestamp).min() == Self.base + 61 * Self.second)
        let minutes = try await sink.series(
            agent: "a",
            stream: "t",
            from: Self.base,
            to: Self.base + Self.minute,
            step: Self.minute
        )
        #expect(minutes.points == Self.expectedMinutes, "one-minute rollups have no retention here")
        let hours = try await sink.series(
            agent: "a",
            stream: "t",
            from: Self.base,
            to: Self.base,
            step: 60 * Self.minute
        )
        #expect(hours.points.isEmpty, "the hour rollup started 10 minutes ago, past its 1-minute retention")
        #expect(deleted == 6 + 1)
        try await sink.close()
    }
}
