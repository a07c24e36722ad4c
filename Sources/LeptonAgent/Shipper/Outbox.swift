import DequeModule
import LeptonCore

/// Sealed batches waiting for the collector's ACK, in sequence order, bounded in bytes.
///
/// The batcher appends (and waits while the outbox is full: backpressure up to the sources); the shipper
/// reads the frames it sends and releases them when acknowledged. In memory for now: batches survive
/// reconnects, not restarts.
public actor Outbox {
    public struct Entry: Sendable, Hashable {
        public var sequence: UInt64
        public var size: Int
    }

    private var frames: Deque<Message.BatchFrame> = []
    private var bytes = 0
    private let maxBytes: Int
    private var allocator: SequenceAllocator
    /// Tasks waiting for the outbox to shrink (for room, or to become empty); each re-checks after waking.
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var subscriber: AsyncStream<Entry>.Continuation?
    private let metrics: AgentMetrics
    /// The highest sequence number handed to a connection by this process.
    private var highestSent: UInt64 = 0

    init(stateDirectory: String, maxBytes: Int, metrics: AgentMetrics) throws {
        self.maxBytes = maxBytes
        self.allocator = try SequenceAllocator(stateDirectory: stateDirectory)
        self.metrics = metrics
    }

    /// Numbers the batch and keeps it until acknowledged. Waits while the outbox holds `maxBytes` or more
    /// (a single batch always fits an empty outbox).
    /// Throws `CancellationError` if the task is cancelled while waiting.
    func append(_ frame: Message.BatchFrame) async throws {
        while bytes > 0 && bytes + frame.wireSize > maxBytes {
            try Task.checkCancellation()
            await waitForRelease()
        }
        var frame = frame
        frame.sequence = try allocator.allocate()
        frames.append(frame)
        bytes += frame.wireSize
        metrics.unackedBytes.set(Int64(bytes))
        subscriber?.yield(Entry(sequence: frame.sequence, size: frame.wireSize))
    }

    /// What is held now, and every batch appended from now on (one subscriber at a time: the live session).
    func subscribe() -> (held: [Entry], appended: AsyncStream<Entry>) {
        subscriber?.finish()
        let (stream, continuation) = AsyncStream<Entry>.makeStream()
        subscriber = continuation
        return (frames.map { Entry(sequence: $0.sequence, size: $0.wireSize) }, stream)
    }

    func unsubscribe() {
        subscriber?.finish()
        subscriber = nil
    }

    /// The frame to write for `sequence` (and notes that it has been sent at least once).
    func frame(sequence: UInt64) -> Message.BatchFrame? {
        guard let first = frames.first, sequence >= first.sequence else { return nil }
        highestSent = max(highestSent, sequence)
        // Sequence numbers rise but may skip (after a restart), so search from the front.
        return frames.first { $0.sequence == sequence }
    }

    /// The collector already holds everything up to `highWater`. Batches at or below it that this process
    /// never sent mean the agent's numbering went backwards (its state directory was lost while the agent id
    /// was kept): they are dropped and counted, and numbering continues above the collector's mark.
    /// Returns the number of records dropped that way.
    func reconcile(highWater: UInt64) throws -> Int {
        try allocator.skip(past: highWater)
        var dropped = 0
        for frame in frames where frame.sequence <= highWater && frame.sequence > highestSent {
            dropped += Int(frame.recordCount)
        }
        return dropped
    }

    /// Drops every batch up to and including `sequence`; returns how many batches and records that acknowledged.
    @discardableResult
    func release(upTo sequence: UInt64) -> (batches: Int, records: Int) {
        var batches = 0
        var records = 0
        while let first = frames.first, first.sequence <= sequence {
            frames.removeFirst()
            bytes -= first.wireSize
            batches += 1
            records += Int(first.recordCount)
        }
        metrics.unackedBytes.set(Int64(bytes))
        wakeWaiters()
        return (batches, records)
    }

    /// Drops one batch that can never be delivered; returns its record count.
    func drop(sequence: UInt64) -> Int {
        guard let index = frames.firstIndex(where: { $0.sequence == sequence }) else { return 0 }
        let frame = frames.remove(at: index)
        bytes -= frame.wireSize
        metrics.unackedBytes.set(Int64(bytes))
        wakeWaiters()
        return Int(frame.recordCount)
    }

    /// Makes sure future batches are numbered above `sequence`.
    func skipSequences(past sequence: UInt64) throws {
        try allocator.skip(past: sequence)
    }

    var heldBytes: Int { bytes }

    /// Returns once every batch held has been acknowledged, or when the task is cancelled.
    func waitUntilEmpty() async {
        while !frames.isEmpty && !Task.isCancelled {
            await waitForRelease()
        }
    }

    /// Suspends until batches are released or the task is cancelled.
    private func waitForRelease() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { waiters.append($0) }
        } onCancel: {
            Task { await self.wakeWaiters() }
        }
    }

    private func wakeWaiters() {
        let woken = waiters
        waiters.removeAll()
        for waiter in woken { waiter.resume() }
    }
}
