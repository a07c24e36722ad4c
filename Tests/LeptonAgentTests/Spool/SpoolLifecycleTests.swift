import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonAgent

/// State files written in place, a closed spool, and open files during a long outage.
@Suite struct SpoolLifecycleTests {
    @Test func stateFilesKeepThePreviousValueWhenTheLatestWriteIsTorn() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("head")
        let file = try SpoolStateFile(path: path)
        #expect(file.read() == nil, "a new file holds nothing")
        try file.write("42")
        try file.write("7")
        #expect(file.read() == "7", "the newest generation wins")
        try file.write("8")
        try file.write("9")
        #expect(SpoolFixture.fileSize(path) == 2 * SpoolStateFile.slotSize, "rewritten in place: the size stays")
        file.close()

        // A power cut tore the last write (generation 4, slot 0): the previous value is still there.
        try SpoolFixture.flipByte(at: 3, in: path)
        let reopened = try SpoolStateFile(path: path)
        #expect(reopened.read() == "8")
        try reopened.write("10")
        #expect(reopened.read() == "10", "writing after a torn slot continues above every generation seen")
        reopened.close()
        try SpoolFixture.flipByte(at: 3, in: path)
        try SpoolFixture.flipByte(at: SpoolStateFile.slotSize + 3, in: path)
        let spoiled = try SpoolStateFile(path: path)
        defer { spoiled.close() }
        #expect(spoiled.read() == nil, "both slots damaged: nothing is trusted")
    }

    @Test func aClosedSpoolAnswersLateCallsWithoutCrashing() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.makeSpool()
        let frame = try SpoolTests.frame(records: 2)
        _ = try await spool.add(frame, source: "app", policy: .block)
        let waiting = Task { () async throws in await spool.waitUntilEmpty() }
        await spool.close()
        // An ACK or a reconnect racing with shutdown must find a closed spool, not crash the agent.
        #expect(await spool.release(upTo: 1) == (batches: 0, records: 0))
        #expect(await spool.drop(id: 1, reason: "oversized_batch") == 0)
        try await spool.skipSequences(past: 5)
        #expect(try await spool.handOff(id: 1) == nil)
        #expect(await spool.checkpoints(source: "app").isEmpty)
        await #expect(throws: AgentError.self) { try await spool.add(frame, source: "app", policy: .block) }
        #expect(await outcome(of: waiting, within: .seconds(5)) != nil, "close wakes whoever waits for the spool")
    }

    @Test func evictionBehindASentBatchKeepsFewFilesOpen() async throws {
        let frame = try SpoolTests.frame(records: 1)
        let size = SpoolTests.entrySize(frame, source: "sensor")
        let fixture = try SpoolFixture(maxBytes: 8 * size, segmentBytes: 1)  // a segment per batch
        defer { fixture.remove() }
        let spool = try fixture.makeSpool()
        _ = try await spool.add(frame, source: "sensor", policy: .dropOldest)
        #expect(try await spool.content(id: 1) != nil, "batch 1 is sent and pins the oldest segment")
        let before = Self.openFiles(under: fixture.directory.path)
        // A long outage: hundreds of evictions behind the pinned segment.
        for _ in 0..<400 {
            _ = try await spool.add(frame, source: "sensor", policy: .dropOldest)
        }
        #expect(await spool.heldBytes <= 8 * size)
        let after = Self.openFiles(under: fixture.directory.path)
        #expect(after <= before + 9, "emptied segments are closed: \(before) open before, \(after) after")
        await spool.close()
    }

    @Test func aPowerCutThatLosesUnsyncedBatchesNeverSkipsTheirLines() async throws {
        let fixture = try SpoolFixture(segmentBytes: 1)  // a segment per batch
        defer { fixture.remove() }
        let spool = try fixture.makeSpool()
        let frame = try SpoolTests.frame()
        for offset: Int64 in [10, 20, 30] {
            _ = try await spool.add(frame, checkpoint: SpoolTests.checkpoint(offset))
        }
        try await spool.acknowledge(upTo: 1)
        await spool.close()
        // Batches 2 and 3 were written but not yet flushed when the power went: their segments come back empty.
        let unsynced = fixture.segmentFiles()
        #expect(unsynced.count == 2)
        for path in unsynced { try SpoolFixture.cut(path, to: 0) }

        let reopened = try fixture.makeSpool()
        // Only the acknowledged batch's position was saved: the lines after 10 are read again, not skipped.
        #expect(await reopened.checkpoints(source: "app") == [SpoolTests.checkpoint(10)])
        #expect(await SpoolTests.held(reopened).isEmpty)
        await reopened.close()
    }

    @Test func closingWakesABlockedAppendWithAnErrorInsteadOfAHang() async throws {
        let frame = try SpoolTests.frame()
        let fixture = try SpoolFixture(maxBytes: SpoolTests.entrySize(frame))
        defer { fixture.remove() }
        let spool = try fixture.makeSpool()
        _ = try await spool.add(frame)
        let blocked = Task { try await spool.add(frame) }
        try await Task.sleep(for: .milliseconds(50))
        await spool.close()
        let result = await outcome(of: blocked, within: .seconds(5))
        #expect(throws: AgentError.self) { try result?.get() }
        #expect(result != nil, "the waiting append ended")
    }

    @Test func aBatchLargerThanTheWholeSpoolStillGoesIntoAnEmptyOne() async throws {
        let big = try SpoolTests.frame(records: 200)
        let fixture = try SpoolFixture(maxBytes: SpoolTests.entrySize(big) / 2)
        defer { fixture.remove() }
        let spool = try fixture.makeSpool()
        let blocked = Task { try await spool.add(big) }
        #expect(try await outcome(of: blocked, within: .seconds(5))?.get() == .spooled(id: 1))
        await spool.close()
    }

    @Test func aRestartAcknowledgesBySequenceNumberWhatWasSentBefore() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let first = try fixture.makeSpool()
        _ = try await first.add(try SpoolTests.frame(records: 3))
        _ = try await first.add(try SpoolTests.frame(records: 5))
        _ = try await first.add(try SpoolTests.frame(records: 7))
        #expect(try await first.handOff(id: 3)?.sequence == 1)
        #expect(try await first.handOff(id: 1)?.sequence == 2)
        await first.close()

        // The collector committed 1 (batch 3) before the agent stopped: its WELCOME mark releases batch 3 only.
        let metrics = AgentMetrics()
        let second = try fixture.makeSpool(metrics: metrics)
        #expect(await second.release(upTo: 1) == (batches: 1, records: 7))
        #expect(await SpoolTests.held(second) == [1, 2])
        #expect(await second.subscribe().held.map(\.sequence) == [2, nil])
        #expect(metrics.sample(#"lepton_agent_records_acknowledged_total{source="app"}"#) == 7)
        await second.close()
    }

    @Test func aLostJournalLineSendsTheBatchAgainUnderANewNumberNeverLosesIt() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let first = try fixture.makeSpool()
        _ = try await first.add(try SpoolTests.frame(records: 3))
        _ = try await first.add(try SpoolTests.frame(records: 5))
        #expect(try await first.handOff(id: 1)?.sequence == 1)
        #expect(try await first.handOff(id: 2)?.sequence == 2)
        await first.close()
        // A power cut took the journal's last line and spoiled the one before; a crash cut a new one short.
        let journal = fixture.directory.file("spool/handoffs")
        var lines = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        lines[0] = lines[0].replacingOccurrences(of: " 1 ", with: " 9 ")[...]
        try (lines[0] + "\n3 2 ab").write(toFile: journal, atomically: true, encoding: .utf8)

        let second = try fixture.makeSpool()
        #expect(await second.subscribe().held.map(\.sequence) == [nil, nil])
        let renumbered = try #require(try await second.handOff(id: 1)?.sequence)
        #expect(renumbered > 2, "never a number the collector may hold for another batch")
        await second.close()
        let kept = try String(contentsOfFile: journal, encoding: .utf8)
        #expect(kept.hasSuffix("\n") && !kept.contains("ab\n"), "the cut line is gone before the next is written")
        #expect(HandoffJournal.parse(String(kept.split(separator: "\n").last!)) == .init(sequence: renumbered, id: 1))
    }

    @Test func anAcknowledgedBatchStillInItsSegmentKeepsItsJournalLine() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let first = try fixture.makeSpool()
        _ = try await first.add(try SpoolTests.frame(records: 3))
        _ = try await first.add(try SpoolTests.frame(records: 5))
        #expect(try await first.handOff(id: 1)?.sequence == 1)
        #expect(await first.release(upTo: 1) == (batches: 1, records: 3))
        // Enough traffic on another source for the journal to be rewritten without the lines no longer needed.
        for _ in 0..<(HandoffJournal.compactAfter + 100) {
            let id = try #require(try await first.add(try SpoolTests.frame(), source: "other").id)
            let sequence = try #require(try await first.handOff(id: id)?.sequence)
            await first.release(upTo: sequence)
        }
        await first.close()
        let lines = try String(contentsOfFile: fixture.directory.file("spool/handoffs"), encoding: .utf8)
            .split(separator: "\n")
        #expect(lines.count < 200, "rewritten: \(lines.count) lines")

        // Batch 1 is still in its segment (batch 2 keeps it): found again, with its number, so the collector's mark
        // releases it instead of a second copy being sent.
        let second = try fixture.makeSpool()
        #expect(await second.subscribe().held.map(\.sequence) == [1, nil])
        #expect(await second.release(upTo: 1) == (batches: 1, records: 3))
        await second.close()
    }

    @Test func idsContinueAboveAnAcknowledgedBatchTheJournalStillNames() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let first = try fixture.makeSpool()
        for _ in 1...3 { _ = try await first.add(try SpoolTests.frame()) }
        #expect(try await first.handOff(id: 3)?.sequence == 1)
        await first.release(upTo: 1)
        await first.close()
        try FileManager.default.removeItem(atPath: fixture.directory.file("sequence"))
        try FileManager.default.removeItem(atPath: fixture.directory.file("spool/ids"))

        // Id 3 again would take batch 3's line, and be released unsent at the next start.
        let second = try fixture.makeSpool()
        #expect(try await second.add(try SpoolTests.frame()) == .spooled(id: 4))
        #expect(await second.subscribe().held.map(\.sequence) == [nil, nil, 1, nil])
        await second.close()
    }

    @Test func aJournalLineIsTheTextSpoolMdShows() {
        #expect(HandoffJournal.line(.init(sequence: 1, id: 3)) == "1 3 8fbeedd\n")
        #expect(HandoffJournal.parse("2 1 3ee5e59") == .init(sequence: 2, id: 1))
        #expect(HandoffJournal.parse("2 1 3ee5e5a") == nil, "a wrong checksum")
        #expect(HandoffJournal.parse("0 1 \(String(CRC32C.checksum(Array("0 1".utf8)), radix: 16))") == nil)
    }

    @Test func aSpoolOfAnEarlierVersionKeepsTheNumbersItsBatchesMayHaveBeenSentUnder() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let first = try fixture.makeSpool()
        for _ in 1...3 { _ = try await first.add(try SpoolTests.frame()) }
        await first.close()
        // Earlier versions numbered batches when spooled (the id was the sequence number) and kept the highest number
        // sent in `spool/sent`, without an fsync: any batch may have been sent; their `sequence` file (the number
        // alone, as text) reserved numbers above every id.
        try FileManager.default.removeItem(atPath: fixture.directory.file("spool/handoffs"))
        try FileManager.default.removeItem(atPath: fixture.directory.file("spool/ids"))
        let sent = try SpoolStateFile(path: fixture.directory.file("spool/sent"))
        try sent.write("2")
        sent.close()
        try "4097\n".write(toFile: fixture.directory.file("sequence"), atomically: true, encoding: .utf8)

        let second = try fixture.makeSpool()
        #expect(await second.subscribe().held.map(\.sequence) == [1, 2, 3])
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.file("spool/sent")))
        #expect(try await second.handOff(id: 3)?.sequence == 3)
        #expect(try await second.add(try SpoolTests.frame()) == .spooled(id: 4097))
        #expect(try await second.handOff(id: 4097)?.sequence == 4097)
        await second.close()

        let third = try fixture.makeSpool()
        #expect(await third.subscribe().held.map(\.sequence) == [1, 2, 3, 4097], "the journal holds them now")
        await third.close()
    }

    /// Descriptors of this process open on files under `directory`.
    static func openFiles(under directory: String) -> Int {
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return descriptors.filter {
            ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) ?? "").hasPrefix(
                directory
            )
        }.count
    }
}
