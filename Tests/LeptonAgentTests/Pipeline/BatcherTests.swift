import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct BatcherTests {
    static func records(_ count: Int, text: String = "x") -> [Record] {
        (0..<count).map { Record(stream: "s", timestamp: Int64($0), value: .text(text)) }
    }

    @Test func sealsByCount() {
        var batcher = Batcher(maxRecords: 3, maxBytes: 1 << 20, linger: .seconds(60))
        let sealed = batcher.add(Self.records(7), now: .now)
        #expect(sealed.map(\.records.count) == [3, 3])
        #expect(batcher.flush()?.records.count == 1)
        #expect(batcher.flush() == nil)
    }

    @Test func sealsByBytesWithoutExceedingTheLimit() {
        let record = Record(stream: "s", timestamp: 0, value: .text(String(repeating: "y", count: 100)))
        var batcher = Batcher(maxRecords: 1000, maxBytes: 3 * record.estimatedEncodedSize + 10, linger: .seconds(60))
        let sealed = batcher.add(Array(repeating: record, count: 10), now: .now)
        #expect(sealed.map(\.records.count) == [3, 3, 3])
        for batch in sealed {
            #expect(batch.records.reduce(0) { $0 + $1.estimatedEncodedSize } <= batcher.maxBytes)
        }
    }

    @Test func sealsByLingerMeasuredFromTheOldestRecord() {
        var batcher = Batcher(maxRecords: 1000, maxBytes: 1 << 20, linger: .milliseconds(100))
        let start = ContinuousClock.now
        _ = batcher.add(Self.records(1), now: start)
        _ = batcher.add(Self.records(1), now: start + .milliseconds(90))
        #expect(batcher.tick(now: start + .milliseconds(99)) == nil)
        #expect(batcher.tick(now: start + .milliseconds(100))?.records.count == 2)
        #expect(batcher.tick(now: start + .seconds(10)) == nil)
    }

    @Test func keepsOrder() {
        var batcher = Batcher(maxRecords: 4, maxBytes: 1 << 20, linger: .seconds(1))
        let input = Self.records(10)
        var output = batcher.add(input, now: .now).flatMap(\.records)
        output += batcher.flush()?.records ?? []
        #expect(output == input)
    }

    @Test func aBatchCarriesTheOffsetOfItsOwnLastLine() {
        var batcher = Batcher(maxRecords: 3, maxBytes: 1 << 20, linger: .seconds(1))
        let file = FileIdentity(device: 1, inode: 2, fingerprintLength: 4, fingerprint: 5)
        var sealed: [Batcher.Batch] = []
        for (index, end) in [10, 20, 30, 40].enumerated() {
            let line = [Record(stream: "s", timestamp: Int64(index), value: .text("x"))]
            sealed += batcher.add(
                line,
                checkpoint: TailCheckpoint(key: Self.key, file: file, offset: Int64(end)),
                now: .now
            )
        }
        #expect(sealed.map(\.checkpoints) == [[TailCheckpoint(key: Self.key, file: file, offset: 30)]])
        #expect(batcher.flush()?.checkpoints == [TailCheckpoint(key: Self.key, file: file, offset: 40)])
        _ = batcher.add(Self.records(1), now: .now)
        #expect(batcher.flush()?.checkpoints == [], "records not read from a file carry no checkpoint")
    }

    @Test func theRecordsOfOneEventAreNotSplitAcrossBatches() {
        var batcher = Batcher(maxRecords: 4, maxBytes: 1 << 20, linger: .seconds(1))
        let file = FileIdentity(device: 1, inode: 2, fingerprintLength: 4, fingerprint: 5)
        let first = batcher.add(
            Self.records(3),
            checkpoint: TailCheckpoint(key: Self.key, file: file, offset: 10),
            now: .now
        )
        #expect(first.isEmpty)
        // Three more records from the next line do not fit beside the first three: the batch seals before them.
        let second = batcher.add(
            Self.records(3),
            checkpoint: TailCheckpoint(key: Self.key, file: file, offset: 20),
            now: .now
        )
        #expect(second.map(\.records.count) == [3])
        #expect(second.map(\.checkpoints) == [[TailCheckpoint(key: Self.key, file: file, offset: 10)]])
        let rest = batcher.flush()
        #expect(rest?.records.count == 3)
        #expect(rest?.checkpoints == [TailCheckpoint(key: Self.key, file: file, offset: 20)])
    }

    static let key = TailKey(path: "/var/log/app.log")

    @Test func aBatchCarriesTheLastOffsetOfEachFileItsRecordsCameFrom() {
        var batcher = Batcher(maxRecords: 10, maxBytes: 1 << 20, linger: .seconds(1))
        let file = FileIdentity(device: 1, inode: 2, fingerprintLength: 4, fingerprint: 5)
        let other = TailKey(path: "/var/log/db.log")
        _ = batcher.add(Self.records(1), checkpoint: TailCheckpoint(key: Self.key, file: file, offset: 10), now: .now)
        _ = batcher.add(Self.records(1), checkpoint: TailCheckpoint(key: other, file: file, offset: 7), now: .now)
        _ = batcher.add(Self.records(1), checkpoint: TailCheckpoint(key: Self.key, file: file, offset: 30), now: .now)
        let batch = batcher.flush()
        #expect(
            Set(batch?.checkpoints ?? [])
                == [
                    TailCheckpoint(key: Self.key, file: file, offset: 30),
                    TailCheckpoint(key: other, file: file, offset: 7),
                ]
        )
    }

    @Test func aLineThatMakesNoRecordStillMovesTheCheckpoint() {
        var batcher = Batcher(maxRecords: 10, maxBytes: 1 << 20, linger: .seconds(1))
        let file = FileIdentity(device: 1, inode: 2, fingerprintLength: 4, fingerprint: 5)
        _ = batcher.add(Self.records(1), checkpoint: TailCheckpoint(key: Self.key, file: file, offset: 10), now: .now)
        _ = batcher.add([], checkpoint: TailCheckpoint(key: Self.key, file: file, offset: 25), now: .now)
        #expect(batcher.flush()?.checkpoints == [TailCheckpoint(key: Self.key, file: file, offset: 25)])
    }
}
