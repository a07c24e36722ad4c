import LeptonCore
import LeptonTestSupport
import NIOCore
import Testing

@testable import LeptonAgent

@Suite struct OutboxTests {
    static func frame(records: Int = 1) throws -> Message.BatchFrame {
        try BatchCodec.encode(
            (0..<records).map { Record(stream: "s", timestamp: Int64($0), value: .number(1)) },
            sequence: 0
        )
    }

    @Test func sequenceNumbersKeepRisingAcrossRestarts() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try Outbox(stateDirectory: directory.path, maxBytes: 1 << 20, metrics: AgentMetrics())
        try await first.append(Self.frame())
        try await first.append(Self.frame())
        let used = await first.frame(sequence: 2)?.sequence
        #expect(used == 2)
        // A new process must never reuse 1 or 2.
        let second = try Outbox(stateDirectory: directory.path, maxBytes: 1 << 20, metrics: AgentMetrics())
        try await second.append(Self.frame())
        let held = await second.subscribe().held
        #expect(held.count == 1)
        #expect(held[0].sequence > 2)
    }

    @Test func releaseFreesRoomForWaitingAppends() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let size = try Self.frame().wireSize
        let outbox = try Outbox(stateDirectory: directory.path, maxBytes: size * 2, metrics: AgentMetrics())
        try await outbox.append(Self.frame())
        try await outbox.append(Self.frame())
        let third = Task { try await outbox.append(Self.frame()) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(await outbox.subscribe().held.count == 2, "the third append waits for room")
        let released = await outbox.release(upTo: 1)
        #expect(released.batches == 1)
        try await third.value
        #expect(await outbox.subscribe().held.map(\.sequence) == [2, 3])
    }

    @Test func waitingAppendIsCancellable() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outbox = try Outbox(stateDirectory: directory.path, maxBytes: 1, metrics: AgentMetrics())
        try await outbox.append(Self.frame())
        let blocked = Task { try await outbox.append(Self.frame()) }
        try await Task.sleep(for: .milliseconds(50))
        blocked.cancel()
        await #expect(throws: CancellationError.self) { try await blocked.value }
    }

    @Test func reconcileCountsNeverSentBatchesTheCollectorAlreadyNumbered() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let outbox = try Outbox(stateDirectory: directory.path, maxBytes: 1 << 20, metrics: AgentMetrics())
        try await outbox.append(Self.frame(records: 3))  // 1
        try await outbox.append(Self.frame(records: 5))  // 2
        _ = await outbox.frame(sequence: 1)  // sent once: a legitimate resend if the collector has it
        #expect(try await outbox.reconcile(highWater: 2) == 5)
        try await outbox.append(Self.frame())
        #expect(await outbox.subscribe().held.last?.sequence == 3)
        // 2 (never sent, still held until the state machine releases it) and 3.
        #expect(try await outbox.reconcile(highWater: 100) == 6)
    }
}
