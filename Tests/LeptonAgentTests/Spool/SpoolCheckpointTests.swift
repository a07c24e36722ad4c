import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonAgent

/// Tail checkpoints of sources that follow several files: one per path, kept across restarts, bounded; and
/// the single checkpoint of older versions still found.
@Suite struct SpoolCheckpointTests {
    static let a = "/var/log/a.log"
    static let b = "/var/log/b.log"

    @Test func eachPathKeepsItsNewestCheckpointAcrossRestarts() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let batch = try SpoolTests.frame()
        let first = try fixture.makeSpool()
        let both = [SpoolTests.checkpoint(10, path: Self.a), SpoolTests.checkpoint(20, inode: 8, path: Self.b)]
        _ = try await first.append(batch, source: "app", policy: .block, checkpoints: both)
        _ = try await first.add(batch, checkpoint: SpoolTests.checkpoint(30, path: Self.a))
        let expected: Set = [
            SpoolTests.checkpoint(30, path: Self.a), SpoolTests.checkpoint(20, inode: 8, path: Self.b),
        ]
        #expect(Set(await first.checkpoints(source: "app")) == expected)
        await first.close()

        // From the spooled batches.
        let second = try fixture.makeSpool()
        #expect(Set(await second.checkpoints(source: "app")) == expected)
        try await second.acknowledge(upTo: 2)
        #expect(fixture.segmentFiles(of: "app").isEmpty)
        await second.close()

        // From the checkpoint files alone: one per path.
        let names = try FileManager.default.contentsOfDirectory(atPath: fixture.directory.file("spool/source-app"))
        #expect(
            Set(names.filter { $0.hasPrefix("checkpoint") })
                == ["checkpoint-\(TailKey(path: Self.a))", "checkpoint-\(TailKey(path: Self.b))"]
        )
        let third = try fixture.makeSpool()
        #expect(Set(await third.checkpoints(source: "app")) == expected)
        await third.close()
    }

    @Test func theCheckpointFileOfAnOlderVersionIsFoundWithoutAPath() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let first = try fixture.makeSpool()
        _ = try await first.add(try SpoolTests.frame())
        try await first.acknowledge(upTo: 1)
        await first.close()
        let legacy = try SpoolStateFile(path: fixture.directory.file("spool/source-app/checkpoint"))
        try legacy.write("1 1 7 12 12648430 42")
        legacy.close()

        let second = try fixture.makeSpool()
        var expected = SpoolTests.checkpoint(42)
        expected.key = .unknown
        #expect(await second.checkpoints(source: "app") == [expected])
        await second.close()
    }

    @Test func theTableForgetsThePathWrittenLongestAgo() {
        var table = CheckpointTable()
        for index in 0..<CheckpointTable.capacity {
            let (changed, evicted) = table.note(
                SpoolTests.checkpoint(1, path: "/log/\(index)"),
                sequence: UInt64(index + 10)
            )
            #expect(changed && evicted == nil)
        }
        // An older batch does not move a path back.
        #expect(table.note(SpoolTests.checkpoint(0, path: "/log/5"), sequence: 3) == (false, nil))
        let (changed, evicted) = table.note(SpoolTests.checkpoint(1, path: "/log/new"), sequence: 5000)
        #expect(changed)
        #expect(evicted == TailKey(path: "/log/0"))
        #expect(table.entries.count == CheckpointTable.capacity)
        #expect(table.entries[TailKey(path: "/log/new")]?.sequence == 5000)
    }
}
