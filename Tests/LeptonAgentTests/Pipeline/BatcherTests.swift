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

    @Test func aBatchSplitInsideOneReadCarriesTheOffsetOfItsOwnLastLine() {
        var batcher = Batcher(maxRecords: 3, maxBytes: 1 << 20, linger: .seconds(1))
        let file = FileIdentity(device: 1, inode: 2, fingerprintLength: 4, fingerprint: 5)
        let sealed = batcher.add(
            Self.records(4),
            positions: FilePositions(file: file, endOffsets: [10, 20, 30, 40]),
            now: .now
        )
        #expect(sealed.map(\.checkpoint) == [TailCheckpoint(file: file, offset: 30)])
        #expect(batcher.flush()?.checkpoint == TailCheckpoint(file: file, offset: 40))
        _ = batcher.add(Self.records(1), now: .now)
        #expect(batcher.flush()?.checkpoint == nil, "records not read from a file carry no checkpoint")
    }
}

@Suite struct BatchEncodingChoiceTests {
    @Test func numbersGoInColumnsAndTextInRows() {
        let number = Record(stream: "t", timestamp: 0, value: .number(1))
        let text = Record(stream: "log", timestamp: 0, value: .text("GET /"))
        #expect(AgentPipeline.encoding(for: [number, number, text]) == .columnarV1)
        #expect(AgentPipeline.encoding(for: [number, text, text]) == .rowV1)
        #expect(AgentPipeline.encoding(for: [text]) == .rowV1)
    }
}
