import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonAgent

/// Damaged segment files, found when the spool starts or when a batch is read back to be sent.
@Suite struct SpoolDamageTests {
    /// Spools batches of 1, 2 and 3 records to "app" and closes the spool; returns the frames as numbered.
    static func spoolThreeBatches(_ fixture: SpoolFixture) async throws -> [Message.BatchFrame] {
        let frames = try [1, 2, 3].map { try SpoolTests.frame(records: $0) }
        let spool = try fixture.makeSpool()
        for frame in frames { _ = try await spool.add(frame) }
        await spool.close()
        return frames.enumerated().map { SpoolTests.numbered($1, UInt64($0 + 1)) }
    }

    /// The one segment of "app" and the batches in it.
    static func onlySegment(_ fixture: SpoolFixture) throws -> (path: String, batches: [SpoolRecordFormat.Found]) {
        let files = fixture.segmentFiles()
        try #require(files.count == 1)
        let batches = try SpoolFixture.batches(in: files[0])
        try #require(batches.map(\.header.id) == [1, 2, 3])
        return (files[0], batches)
    }

    // MARK: - At startup

    @Test func aCorruptBatchFoundAtStartupIsDroppedAndCounted() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let frames = try await Self.spoolThreeBatches(fixture)
        let (segment, batches) = try Self.onlySegment(fixture)
        try SpoolFixture.flipByte(at: batches[1].offset + batches[1].header.size + 3, in: segment)

        let metrics = AgentMetrics()
        let spool = try fixture.makeSpool(metrics: metrics)
        #expect(await SpoolTests.held(spool) == [1, 3])
        #expect(metrics.droppedRecords(source: "app", reason: "spool_corrupt") == 2)
        #expect(metrics.spoolDamageCount(kind: "corrupt") == 1)
        #expect(metrics.spoolDamageCount(kind: "truncated") == 0)
        #expect(metrics.sample("lepton_agent_spool_damaged_bytes_total") == Double(batches[1].header.entrySize))
        #expect(try await spool.content(id: 1) == frames[0])
        #expect(try await spool.content(id: 2) == nil)
        #expect(try await spool.content(id: 3) == frames[2])
        await spool.close()
    }

    @Test func aDamagedHeaderLosesOnlyItsOwnBatch() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let frames = try await Self.spoolThreeBatches(fixture)
        let (segment, batches) = try Self.onlySegment(fixture)
        try SpoolFixture.flipByte(at: batches[1].offset + 12, in: segment)  // inside the sequence number

        let metrics = AgentMetrics()
        let spool = try fixture.makeSpool(metrics: metrics)
        #expect(await SpoolTests.held(spool) == [1, 3])
        #expect(metrics.spoolDamageCount(kind: "corrupt") == 1)
        #expect(metrics.droppedRecords(source: "app", reason: "spool_corrupt") == 0, "how many records is unknown")
        #expect(try await spool.content(id: 1) == frames[0])
        #expect(try await spool.content(id: 3) == frames[2])
        await spool.close()
    }

    @Test func aSegmentCutShortInsideItsLastBatchIsTruncation() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let frames = try await Self.spoolThreeBatches(fixture)
        let (segment, batches) = try Self.onlySegment(fixture)
        let cut = batches[2].offset + batches[2].header.size + 5
        try SpoolFixture.cut(segment, to: cut)

        let metrics = AgentMetrics()
        let spool = try fixture.makeSpool(metrics: metrics)
        #expect(await SpoolTests.held(spool) == [1, 2])
        #expect(metrics.spoolDamageCount(kind: "truncated") == 1)
        #expect(metrics.spoolDamageCount(kind: "corrupt") == 0)
        #expect(metrics.droppedRecords(source: "app", reason: "spool_corrupt") == 3, "the header survived")
        #expect(try await spool.content(id: 1) == frames[0])
        #expect(try await spool.content(id: 2) == frames[1])

        // New batches go to a new segment, never after the damaged bytes.
        let sequence = try #require(try await spool.add(SpoolTests.frame()).id)
        #expect(sequence > 3)
        #expect(fixture.segmentFiles().count == 2)
        #expect(SpoolFixture.fileSize(segment) == cut)
        let expected = try SpoolTests.numbered(SpoolTests.frame(), sequence)
        #expect(try await spool.content(id: sequence) == expected)
        await spool.close()
    }

    @Test func aMissingSegmentIsReported() async throws {
        let fixture = try SpoolFixture(segmentBytes: 1)  // a segment per batch
        defer { fixture.remove() }
        let frames = try await Self.spoolThreeBatches(fixture)
        let files = fixture.segmentFiles()
        try #require(files.count == 3)
        try FileManager.default.removeItem(atPath: files[1])

        let metrics = AgentMetrics()
        let spool = try fixture.makeSpool(metrics: metrics)
        #expect(await SpoolTests.held(spool) == [1, 3])
        #expect(metrics.spoolDamageCount(kind: "missing_segment") == 1)
        #expect(metrics.spoolDamageCount(kind: "corrupt") == 0)
        #expect(try await spool.content(id: 1) == frames[0])
        #expect(try await spool.content(id: 3) == frames[2])
        await spool.close()
    }

    // MARK: - While sending

    @Test func damageFoundWhileReadingABatchBackDropsItAndCountsIt() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let metrics = AgentMetrics()
        let spool = try fixture.makeSpool(metrics: metrics)
        let frames = try [1, 2, 3].map { try SpoolTests.frame(records: $0) }
        for frame in frames { _ = try await spool.add(frame) }
        let (segment, batches) = try Self.onlySegment(fixture)

        // The disk flips a byte after the spool indexed the batch.
        try SpoolFixture.flipByte(at: batches[1].offset + batches[1].header.size + 3, in: segment)
        #expect(try await spool.content(id: 2) == nil)
        #expect(metrics.droppedRecords(source: "app", reason: "spool_corrupt") == 2)
        #expect(metrics.spoolDamageCount(kind: "corrupt") == 1)
        #expect(await SpoolTests.held(spool) == [1, 3])
        #expect(try await spool.content(id: 1) == SpoolTests.numbered(frames[0], 1))

        // The segment is cut short under the spool: the last batch cannot be read back.
        try SpoolFixture.cut(segment, to: batches[2].offset + 10)
        #expect(try await spool.content(id: 3) == nil)
        #expect(metrics.droppedRecords(source: "app", reason: "spool_corrupt") == 5)
        #expect(metrics.spoolDamageCount(kind: "corrupt") == 2)
        #expect(await SpoolTests.held(spool) == [1])
        await spool.close()
    }
}
