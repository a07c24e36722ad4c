import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonAgent

/// State files written in place, a closed spool, and open files during a long outage.
@Suite struct SpoolLifecycleTests {
    @Test func stateFilesRoundTripAndATornWriteReadsAsMissing() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("head")
        let file = try SpoolStateFile(path: path)
        defer { file.close() }
        #expect(file.read() == nil, "a new file holds nothing")
        try file.write("42")
        try file.write("7")
        #expect(file.read() == "7", "a shorter text replaces a longer one entirely")
        #expect(SpoolFixture.fileSize(path) == SpoolStateFile.size, "rewritten in place: the size never changes")
        try SpoolFixture.flipByte(at: 0, in: path)
        #expect(file.read() == nil, "a damaged file is not trusted")
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
        #expect(await spool.drop(sequence: 1, reason: "oversized_batch") == 0)
        #expect(try await spool.reconcile(highWater: 5) == 0)
        #expect(await spool.frame(sequence: 1) == nil)
        #expect(await spool.checkpoint(source: "app") == nil)
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
        #expect(await spool.frame(sequence: 1) != nil, "batch 1 is sent and pins the oldest segment")
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
