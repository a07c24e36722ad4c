import Foundation
import LeptonCore
import LeptonTestSupport
import NIOCore
import Testing

@testable import LeptonAgent

@Suite struct SpoolTests {
    static func frame(records: Int = 1) throws -> Message.BatchFrame {
        try BatchCodec.encode(
            (0..<records).map { Record(stream: "s", timestamp: Int64($0), value: .number(Double($0))) },
            sequence: 0
        )
    }

    /// `frame` as the spool hands it back under `sequence`.
    static func numbered(_ frame: Message.BatchFrame, _ sequence: UInt64) -> Message.BatchFrame {
        var numbered = frame
        numbered.sequence = sequence
        return numbered
    }

    /// Bytes a batch takes in a segment file.
    static func entrySize(
        _ frame: Message.BatchFrame,
        source: String = "app",
        checkpoint: TailCheckpoint? = nil
    ) -> Int {
        SpoolRecordFormat.encode(frame, source: source, checkpoints: checkpoint.map { [$0] } ?? []).readableBytes
    }

    static func held(_ spool: Spool) async -> [UInt64] {
        await spool.subscribe().held.map(\.id)
    }

    static func checkpoint(_ offset: Int64, inode: UInt64 = 7, path: String = "/var/log/app.log") -> TailCheckpoint {
        TailCheckpoint(
            key: TailKey(path: path),
            file: FileIdentity(device: 1, inode: inode, fingerprintLength: 12, fingerprint: 0xC0FFEE),
            offset: offset
        )
    }

    // MARK: - Ported from the in-memory outbox

    @Test func idsAndSequenceNumbersKeepRisingAcrossRestarts() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let batch = try Self.frame()
        let first = try fixture.makeSpool()
        #expect(try await first.add(batch) == .spooled(id: 1))
        #expect(try await first.add(batch) == .spooled(id: 2))
        #expect(try await first.handOff(id: 2)?.sequence == 1, "numbered when first sent")
        #expect(try await first.handOff(id: 2)?.sequence == 1, "a resend keeps the number")
        await first.close()

        // A new process must never reuse an id or a sequence number, and a batch sent before keeps its number.
        let second = try fixture.makeSpool()
        let id = try #require(try await second.add(batch).id)
        #expect(id > 2)
        #expect(await Self.held(second) == [1, 2, id])
        #expect(await second.subscribe().held.map(\.sequence) == [nil, 1, nil])
        #expect(try await second.handOff(id: 2)?.sequence == 1)
        let next = try #require(try await second.handOff(id: 1)?.sequence)
        #expect(next > 1)
        #expect(try await second.handOff(id: id)?.sequence == next + 1)
        await second.close()
    }

    @Test func anImportantBatchSentFirstIsNumberedFirstAndAcknowledgedAlone() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let metrics = AgentMetrics()
        let spool = try fixture.makeSpool(metrics: metrics)
        _ = try await spool.add(Self.frame(records: 1), source: "bulk")
        _ = try await spool.add(Self.frame(records: 2), source: "bulk")
        _ = try await spool.add(Self.frame(records: 4), source: "alarm", priority: 10)
        #expect(try await spool.handOff(id: 3)?.sequence == 1)
        #expect(try await spool.handOff(id: 1)?.sequence == 2)
        #expect(await spool.release(upTo: 1) == (batches: 1, records: 4))
        #expect(await Self.held(spool) == [1, 2])
        #expect(metrics.sample(#"lepton_agent_records_acknowledged_total{source="alarm"}"#) == 4)
        #expect(await spool.release(upTo: 2) == (batches: 1, records: 1))
        #expect(await Self.held(spool) == [2], "a batch never sent is not acknowledged by a higher number")
        await spool.close()
    }

    @Test func releaseFreesRoomForAWaitingBlockAppend() async throws {
        let batch = try Self.frame()
        // A segment per batch, room for two.
        let fixture = try SpoolFixture(maxBytes: 2 * Self.entrySize(batch), segmentBytes: 1)
        defer { fixture.remove() }
        let spool = try fixture.makeSpool()
        _ = try await spool.add(batch)
        _ = try await spool.add(batch)
        let third = Task { try await spool.add(batch) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(await Self.held(spool) == [1, 2], "the third append waits for room")

        let released = try await spool.acknowledge(upTo: 1)
        #expect(released.batches == 1 && released.records == 1)
        let result = try #require(await outcome(of: third), "a release that freed a segment wakes the waiting append")
        #expect(try result.get() == .spooled(id: 3))
        #expect(await Self.held(spool) == [2, 3])
        await spool.close()
    }

    @Test func aWaitingAppendIsCancellable() async throws {
        let batch = try Self.frame()
        let fixture = try SpoolFixture(maxBytes: Self.entrySize(batch), segmentBytes: 1)
        defer { fixture.remove() }
        let spool = try fixture.makeSpool()
        #expect(try await spool.add(batch) == .spooled(id: 1))
        let blocked = Task { try await spool.add(batch) }
        try await Task.sleep(for: .milliseconds(50))
        blocked.cancel()
        let result = try #require(await outcome(of: blocked), "cancelling ends the wait")
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(await Self.held(spool) == [1])

        try await spool.acknowledge(upTo: 1)
        #expect(
            try await spool.add(batch) == .spooled(id: 2),
            "the cancelled append took no sequence number"
        )
        await spool.close()
    }

    @Test func batchesNeverSentAreNumberedAboveTheCollectorsMark() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let metrics = AgentMetrics()
        let spool = try fixture.makeSpool(metrics: metrics)
        #expect(try await spool.add(Self.frame(records: 3)) == .spooled(id: 1))
        #expect(try await spool.add(Self.frame(records: 5)) == .spooled(id: 2))
        #expect(try await spool.handOff(id: 1)?.sequence == 1)
        // The collector holds up to 100 (this agent's state directory was lost): numbering continues above it,
        // and batch 2, never sent, is sent under 101 instead of being taken for a duplicate.
        try await spool.skipSequences(past: 100)
        #expect(try await spool.handOff(id: 2)?.sequence == 101)
        #expect(await spool.release(upTo: 100) == (batches: 1, records: 3))
        #expect(await Self.held(spool) == [2])
        #expect(await spool.release(upTo: 101) == (batches: 1, records: 5))
        #expect(metrics.sample(#"lepton_agent_records_acknowledged_total{source="app"}"#) == 8)
        await spool.close()
    }

    // MARK: - Restarts

    @Test func batchesSurviveARestart() async throws {
        let fixture = try SpoolFixture(fsync: .always)
        defer { fixture.remove() }
        let frames = try [1, 2, 3].map { try Self.frame(records: $0) }
        let first = try fixture.makeSpool()
        for frame in frames { _ = try await first.add(frame) }
        let bytes = await first.heldBytes
        await first.close()

        let metrics = AgentMetrics()
        let second = try fixture.makeSpool(metrics: metrics)
        let held = await second.subscribe().held
        #expect(held.map(\.id) == [1, 2, 3])
        #expect(held.map(\.size) == frames.map(\.wireSize))
        #expect(await second.heldBytes == bytes)
        #expect(metrics.sample("lepton_agent_spool_batches") == 3)
        #expect(metrics.sample("lepton_agent_spool_bytes") == Double(bytes))
        for (index, frame) in frames.enumerated() {
            let sequence = UInt64(index + 1)
            #expect(try await second.content(id: sequence) == Self.numbered(frame, sequence))
        }
        await second.close()
    }

    @Test func appendingAfterARestartStartsANewSegment() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let batch = try Self.frame(records: 2)
        let first = try fixture.makeSpool()
        _ = try await first.add(batch)
        _ = try await first.add(batch)
        await first.close()
        let old = try #require(fixture.segmentFiles().first)
        let oldSize = SpoolFixture.fileSize(old)

        let second = try fixture.makeSpool()
        let sequence = try #require(try await second.add(batch).id)
        #expect(sequence > 2)
        #expect(fixture.segmentFiles().count == 2)
        #expect(SpoolFixture.fileSize(old) == oldSize, "a segment left by a previous run is never appended to")
        await second.close()

        let third = try fixture.makeSpool()
        #expect(await Self.held(third) == [1, 2, sequence])
        for number in [1, 2, sequence] {
            #expect(try await third.content(id: number) == Self.numbered(batch, number))
        }
        await third.close()
    }

    @Test func numberingContinuesAboveWhatTheSpoolHoldsWhenItsFilesAreLost() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let batch = try Self.frame()
        let first = try fixture.makeSpool()
        _ = try await first.add(batch)
        _ = try await first.add(batch)
        _ = try await first.add(batch)
        #expect(try await first.handOff(id: 2)?.sequence == 1)
        #expect(try await first.handOff(id: 1)?.sequence == 2)
        await first.close()
        try FileManager.default.removeItem(atPath: fixture.directory.file("sequence"))
        try FileManager.default.removeItem(atPath: fixture.directory.file("spool/ids"))

        let second = try fixture.makeSpool()
        #expect(try await second.add(batch) == .spooled(id: 4), "ids continue above the batches held")
        #expect(try await second.handOff(id: 3)?.sequence == 3, "numbers continue above the journal's")
        await second.close()
    }

    // MARK: - Release

    @Test func releaseDeletesFullyAcknowledgedSegments() async throws {
        let batch = try Self.frame()
        let size = Self.entrySize(batch)
        let fixture = try SpoolFixture(segmentBytes: 3 * size)  // three batches a segment
        defer { fixture.remove() }
        let metrics = AgentMetrics()
        let spool = try fixture.makeSpool(metrics: metrics)
        for _ in 1...7 { _ = try await spool.add(batch) }
        #expect(fixture.segmentFiles().count == 3)
        #expect(await spool.heldBytes == 7 * size)

        let partial = try await spool.acknowledge(upTo: 2)
        #expect(partial.batches == 2 && partial.records == 2)
        #expect(fixture.segmentFiles().count == 3, "the first segment still holds batch 3")
        #expect(await spool.heldBytes == 7 * size)

        try await spool.acknowledge(upTo: 4)
        let names = fixture.segmentFiles().map { ($0 as NSString).lastPathComponent }
        #expect(names == ["0000000000000001.seg", "0000000000000002.seg"])
        #expect(await spool.heldBytes == 4 * size)
        #expect(metrics.sample("lepton_agent_spool_bytes") == Double(4 * size))
        #expect(await Self.held(spool) == [5, 6, 7])

        try await spool.acknowledge(upTo: 7)
        #expect(fixture.segmentFiles().isEmpty)
        #expect(await spool.heldBytes == 0)
        #expect(await spool.heldBatches == 0)
        #expect(metrics.sample(#"lepton_agent_records_acknowledged_total{source="app"}"#) == 7)

        // The chain goes on in a new segment.
        #expect(try await spool.add(batch) == .spooled(id: 8))
        #expect(fixture.segmentFiles().count == 1)
        #expect(try await spool.content(id: 8) == Self.numbered(batch, 8))
        await spool.close()
    }

    // MARK: - Checkpoints

    @Test func theNewestCheckpointSurvivesARestart() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let batch = try Self.frame()
        let first = try fixture.makeSpool()
        _ = try await first.add(batch, checkpoint: Self.checkpoint(10))
        _ = try await first.add(batch, checkpoint: Self.checkpoint(20))
        _ = try await first.add(batch, source: "other", checkpoint: Self.checkpoint(99, inode: 8))
        _ = try await first.add(batch)
        #expect(await first.checkpoints(source: "app") == [Self.checkpoint(20)])
        await first.close()

        let second = try fixture.makeSpool()
        #expect(await second.checkpoints(source: "app") == [Self.checkpoint(20)])
        #expect(await second.checkpoints(source: "other") == [Self.checkpoint(99, inode: 8)])
        #expect(await second.checkpoints(source: "never-seen").isEmpty)
        await second.close()
    }

    @Test func theCheckpointOutlivesTheSegmentsThatCarriedIt() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let batch = try Self.frame()
        let first = try fixture.makeSpool()
        _ = try await first.add(batch, checkpoint: Self.checkpoint(10))
        _ = try await first.add(batch, checkpoint: Self.checkpoint(20))
        _ = try await first.add(batch, source: "other", checkpoint: Self.checkpoint(99, inode: 8))
        _ = try await first.add(batch)
        try await first.acknowledge(upTo: 4)
        #expect(fixture.segmentFiles(of: "app").isEmpty && fixture.segmentFiles(of: "other").isEmpty)
        await first.close()

        // No segment is left: the positions can only come from the saved checkpoint files.
        let second = try fixture.makeSpool()
        #expect(await second.checkpoints(source: "app") == [Self.checkpoint(20)])
        #expect(await second.checkpoints(source: "other") == [Self.checkpoint(99, inode: 8)])
        #expect(await second.heldBatches == 0)
        // A batch spooled after the restart is newer than the saved position.
        _ = try await second.add(batch, checkpoint: Self.checkpoint(30))
        #expect(await second.checkpoints(source: "app") == [Self.checkpoint(30)])
        await second.close()

        let third = try fixture.makeSpool()
        #expect(await third.checkpoints(source: "app") == [Self.checkpoint(30)])
        #expect(await third.checkpoints(source: "other") == [Self.checkpoint(99, inode: 8)])
        await third.close()
    }
}
