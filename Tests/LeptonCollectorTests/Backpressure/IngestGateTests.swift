import Synchronization
import Testing

@testable import LeptonCollector

/// The gate in front of the store: bounded, and fair by weight when batches wait.
@Suite struct IngestGateTests {
    /// Records the order in which waiting batches enter.
    final class Entries: Sendable {
        let order = Mutex<[UInt64]>([])
    }

    /// Queues `sessions` (session, weight) batches of 100 bytes behind one batch holding the only slot, one at a
    /// time, each registered before the next arrives.
    static func queue(
        _ gate: IngestGate,
        _ sessions: [(UInt64, Double)],
        entries: Entries
    ) async -> [Task<Void, Never>] {
        var tasks: [Task<Void, Never>] = []
        for (index, (session, weight)) in sessions.enumerated() {
            tasks.append(
                Task {
                    await gate.enter(100, session: session, weight: weight)
                    entries.order.withLock { $0.append(session) }
                }
            )
            while gate.queuedBytes < 100 * (index + 2) { await Task.yield() }
        }
        return tasks
    }

    @Test func waitingBatchesEnterInProportionToTheirWeights() async {
        let gate = IngestGate(limit: 1 << 20, maxConcurrent: 1)
        await gate.enter(100, session: 99, weight: 1)
        let entries = Entries()
        // Sessions 1, 2 and 3 weigh 1, 2 and 4; each has 7 batches waiting, arriving in turn.
        let round: [(UInt64, Double)] = [(1, 1), (2, 2), (3, 4)]
        let arrivals = Array(repeating: round, count: 7).joined().map { $0 }
        let tasks = await Self.queue(gate, arrivals, entries: entries)
        for _ in 0..<7 {
            let before = entries.order.withLock { $0.count }
            gate.leave(100)
            while entries.order.withLock({ $0.count }) == before { await Task.yield() }
        }
        let first = entries.order.withLock { $0 }
        // Start tags: session 1 at 0, 100, …; session 2 at 0, 50, …; session 3 at 0, 25, 50, …
        #expect(first == [1, 2, 3, 3, 2, 3, 3])
        for _ in 0..<14 { gate.leave(100) }
        for task in tasks { await task.value }
        #expect(gate.queuedBytes == 100, "the last one entered is still inside")
        gate.leave(100)
        #expect(gate.queuedBytes == 0)
    }

    @Test func oneBatchLargerThanTheBoundStillEntersAlone() async {
        let gate = IngestGate(limit: 1_000, maxConcurrent: 8)
        await gate.enter(5_000, session: 1, weight: 1)
        #expect(gate.queuedBytes == 5_000)
        gate.leave(5_000)
        await gate.enter(600, session: 1, weight: 1)
        let entries = Entries()
        let second = Task {
            await gate.enter(600, session: 2, weight: 1)
            entries.order.withLock { $0.append(2) }
        }
        while gate.queuedBytes < 1_200 { await Task.yield() }
        #expect(entries.order.withLock { $0.isEmpty }, "600 + 600 bytes exceed the bound of 1000: it waits")
        gate.leave(600)
        await second.value
        #expect(entries.order.withLock { $0 } == [2])
        gate.leave(600)
    }
}
