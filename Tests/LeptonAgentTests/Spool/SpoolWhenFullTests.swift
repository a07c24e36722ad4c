import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonAgent

/// The `when_full` policies other than `block` (see ``SpoolTests`` for a waiting append).
@Suite struct SpoolWhenFullTests {
    @Test func dropNewestDropsTheNewBatchAndCountsItsRecords() async throws {
        let one = try SpoolTests.frame(records: 1)
        let three = try SpoolTests.frame(records: 3)
        let size = SpoolTests.entrySize(one, source: "sensor")
        let fixture = try SpoolFixture(maxBytes: 2 * size, segmentBytes: 1)  // a segment per batch
        defer { fixture.remove() }
        let metrics = AgentMetrics()
        let spool = try fixture.makeSpool(metrics: metrics)
        #expect(try await spool.add(one, source: "sensor", policy: .dropNewest) == .spooled(id: 1))
        #expect(try await spool.add(one, source: "sensor", policy: .dropNewest) == .spooled(id: 2))

        let checkpoint = SpoolTests.checkpoint(40)
        #expect(try await spool.add(three, source: "sensor", policy: .dropNewest, checkpoint: checkpoint) == .dropped)
        #expect(metrics.droppedRecords(source: "sensor", reason: "spool_full") == 3)
        #expect(await SpoolTests.held(spool) == [1, 2])
        #expect(await spool.heldBytes == 2 * size)
        // Dropped lines are counted, not read again: the position moves past them.
        #expect(await spool.checkpoints(source: "sensor") == [checkpoint])

        try await spool.acknowledge(upTo: 1)
        #expect(
            try await spool.add(one, source: "sensor", policy: .dropNewest) == .spooled(id: 3),
            "a dropped batch takes no sequence number"
        )
        #expect(metrics.droppedRecords(source: "sensor", reason: "spool_full") == 3)
        await spool.close()
    }

    @Test func dropOldestEvictsTheOldestUnsentBatchesAndNeverASentOne() async throws {
        let one = try SpoolTests.frame(records: 1)
        let three = try SpoolTests.frame(records: 3)
        let small = SpoolTests.entrySize(one, source: "sensor")
        let large = SpoolTests.entrySize(three, source: "sensor")
        let fixture = try SpoolFixture(maxBytes: 2 * small + large, segmentBytes: 1)  // a segment per batch
        defer { fixture.remove() }
        let metrics = AgentMetrics()
        let spool = try fixture.makeSpool(metrics: metrics)
        func add(_ frame: Message.BatchFrame) async throws -> Spool.AppendOutcome {
            try await spool.add(frame, source: "sensor", policy: .dropOldest)
        }
        func evicted() -> Double { metrics.droppedRecords(source: "sensor", reason: "spool_evicted") }

        #expect(try await add(one) == .spooled(id: 1))
        #expect(try await add(three) == .spooled(id: 2))
        #expect(try await add(one) == .spooled(id: 3))
        // Handed to a connection: the collector may hold it, so it must stay until acknowledged.
        #expect(try await spool.content(id: 1) != nil)

        #expect(try await add(three) == .spooled(id: 4))
        #expect(await SpoolTests.held(spool) == [1, 3, 4], "batch 2, the oldest never sent, made room")
        #expect(evicted() == 3)
        #expect(try await spool.content(id: 2) == nil)

        #expect(try await add(one) == .spooled(id: 5))
        #expect(await SpoolTests.held(spool) == [1, 4, 5])
        #expect(evicted() == 4)
        #expect(await spool.heldBytes == 2 * small + large)

        // Batch 4 is sent too: nothing but the segment being written to is left to evict.
        #expect(try await spool.content(id: 4) != nil)
        #expect(try await add(three) == .dropped)
        #expect(await SpoolTests.held(spool) == [1, 4, 5])
        #expect(evicted() == 4)
        #expect(metrics.droppedRecords(source: "sensor", reason: "spool_full") == 3)
        #expect(metrics.droppedRecords(source: "sensor", reason: "spool_corrupt") == 0)
        await spool.close()
    }

    @Test func dropOldestTakesItsOwnSegmentsFirstThenThoseOfOtherDropOldestSources() async throws {
        let one = try SpoolTests.frame(records: 1)
        // Names of one length, so that every batch takes the same room.
        let size = SpoolTests.entrySize(one, source: "s1")
        let fixture = try SpoolFixture(maxBytes: 4 * size, segmentBytes: 1)
        defer { fixture.remove() }
        let metrics = AgentMetrics()
        let spool = try fixture.makeSpool(metrics: metrics)
        #expect(try await spool.add(one, source: "s3", policy: .block) == .spooled(id: 1))
        #expect(try await spool.add(one, source: "s2", policy: .dropOldest) == .spooled(id: 2))
        #expect(try await spool.add(one, source: "s2", policy: .dropOldest) == .spooled(id: 3))
        #expect(try await spool.add(one, source: "s1", policy: .dropOldest) == .spooled(id: 4))

        // s1 has nothing but the segment it writes to: s2's oldest goes, never the `block` source's.
        #expect(try await spool.add(one, source: "s1", policy: .dropOldest) == .spooled(id: 5))
        #expect(await SpoolTests.held(spool) == [1, 3, 4, 5])
        #expect(metrics.droppedRecords(source: "s2", reason: "spool_evicted") == 1)

        // Now s1 has an older segment of its own, and it goes first.
        #expect(try await spool.add(one, source: "s1", policy: .dropOldest) == .spooled(id: 6))
        #expect(await SpoolTests.held(spool) == [1, 3, 5, 6])
        #expect(metrics.droppedRecords(source: "s1", reason: "spool_evicted") == 1)
        #expect(metrics.droppedRecords(source: "s2", reason: "spool_evicted") == 1)
        #expect(metrics.droppedRecords(source: "s3", reason: "spool_evicted") == 0)
        await spool.close()
    }

    @Test func dropOldestNeverEvictsBatchesOfSourcesWithAnotherPolicy() async throws {
        let one = try SpoolTests.frame(records: 1)
        let app = SpoolTests.entrySize(one, source: "app")
        let sensor = SpoolTests.entrySize(one, source: "sensor")
        let fixture = try SpoolFixture(maxBytes: 2 * app + sensor, segmentBytes: 1)
        defer { fixture.remove() }
        let metrics = AgentMetrics()
        let spool = try fixture.makeSpool(metrics: metrics)
        _ = try await spool.add(one, source: "app", policy: .block)
        _ = try await spool.add(one, source: "app", policy: .block)
        _ = try await spool.add(one, source: "sensor", policy: .dropOldest)

        #expect(try await spool.add(one, source: "sensor", policy: .dropOldest) == .dropped)
        #expect(await SpoolTests.held(spool) == [1, 2, 3])
        #expect(metrics.droppedRecords(source: "sensor", reason: "spool_full") == 1)
        #expect(metrics.droppedRecords(source: "app", reason: "spool_evicted") == 0)
        await spool.close()
    }

    @Test func dropOldestEvictsLowerPrioritiesFirstAndNeverAHigherOne() async throws {
        let one = try SpoolTests.frame(records: 1)
        // Names of one length, so that every batch takes the same room.
        let size = SpoolTests.entrySize(one, source: "hi")
        let fixture = try SpoolFixture(maxBytes: 4 * size, segmentBytes: 1)
        defer { fixture.remove() }
        let metrics = AgentMetrics()
        let spool = try fixture.makeSpool(metrics: metrics)
        func add(_ source: String) async throws -> Spool.AppendOutcome {
            try await spool.add(one, source: source, policy: .dropOldest, priority: source == "hi" ? 5 : 0)
        }
        #expect(try await add("hi") == .spooled(id: 1))
        #expect(try await add("hi") == .spooled(id: 2))
        #expect(try await add("lo") == .spooled(id: 3))
        #expect(try await add("lo") == .spooled(id: 4))

        // The important source has an older batch of its own, but the less important one's oldest goes.
        #expect(try await add("hi") == .spooled(id: 5))
        #expect(await SpoolTests.held(spool) == [1, 2, 4, 5])
        #expect(metrics.droppedRecords(source: "lo", reason: "spool_evicted") == 1)

        // The less important source may not evict the important one's batches: its new batch is dropped.
        #expect(try await add("lo") == .dropped)
        #expect(await SpoolTests.held(spool) == [1, 2, 4, 5])
        #expect(metrics.droppedRecords(source: "lo", reason: "spool_full") == 1)
        #expect(metrics.droppedRecords(source: "hi", reason: "spool_evicted") == 0)
        await spool.close()
    }
}
