import DequeModule
import LeptonCore
import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Sealed batches on disk until the collector acknowledges them: every batch gets an id and is appended to its
/// source's segment chain (see ``SpoolLog``, ``SpoolRecordFormat``) before the shipper may send it, so batches
/// survive reconnects, restarts and crashes. Only an index lives in memory; frames are read back when sent.
///
/// A batch gets its wire sequence number when it is first handed to a connection (``handOff(id:)``), noted in the
/// ``HandoffJournal`` before it is sent: the shipper may send batches in another order than they were spooled (an
/// important source first) while the numbers the collector sees keep rising, and a resend reuses the number.
///
/// The spool is bounded by `max_bytes`. When a batch does not fit, its source's `when_full` policy decides:
/// `block` waits for acknowledgements, `drop_newest` drops the new batch, `drop_oldest` deletes the oldest
/// whole segments not yet sent of `drop_oldest` sources (its own first). Every dropped record is counted.
public actor Spool {
    public struct Configuration: Sendable {
        public var directory: String
        public var maxBytes: Int
        public var segmentBytes: Int
        public var fsync: FsyncPolicy

        public init(directory: String, maxBytes: Int, segmentBytes: Int, fsync: FsyncPolicy) {
            self.directory = directory
            self.maxBytes = maxBytes
            self.segmentBytes = segmentBytes
            self.fsync = fsync
        }
    }

    /// A held batch, as the shipper sees it: its source is an index of the spool's sources.
    typealias Held = ShipperStateMachine.Batch

    enum AppendOutcome: Hashable, Sendable {
        case spooled(id: UInt64)
        case dropped
    }

    /// Where a live batch is.
    struct Entry: Sendable {
        var id: UInt64
        /// Given when the batch is first handed to a connection; nil while it was never sent.
        var sequence: UInt64?
        var log: Int
        var ordinal: UInt64
        var offset: Int
        var size: Int
        var wireSize: Int
        var records: Int
        /// The tail positions just past this batch, one per file path its records were read from.
        var checkpoints: [TailCheckpoint]
    }

    let configuration: Configuration
    let metrics: AgentMetrics
    let logger: Logger
    /// Largest payload a spooled batch may have; anything bigger in a segment is damage.
    static let maxPayload = 64 << 20

    var logs: [SpoolLog] = []
    var logIndex: [String: Int] = [:]
    /// Live batches, per source (indexed like `logs`), in id order (the order they were spooled). Per source, because
    /// batches are sent and acknowledged in order within a source but not across sources: the batch an ACK
    /// releases is near the front of its source's queue.
    var queues: [Deque<Entry>] = []
    var totalBytes = 0
    /// Batch ids (`spool/ids`).
    var ids: SequenceAllocator
    /// Wire sequence numbers (`state_dir/sequence`).
    var sequences: SequenceAllocator
    let journal: HandoffJournal
    /// Batches handed to a connection and not yet acknowledged, in sequence order.
    var handedOff: Deque<HandoffJournal.Handoff> = []
    /// Hand-offs of batches gone from the spool (acknowledged, dropped) that a restart may still find in their
    /// segment: their journal lines must stay, so that such a batch is released by the collector's high-water
    /// mark rather than sent again.
    private var retained: Deque<Retained> = []
    private struct Retained {
        var handoff: HandoffJournal.Handoff
        var log: Int
        var ordinal: UInt64
    }
    /// Whether the last hand-off could not be noted in the journal, or the journal could not be rewritten (each
    /// logged once per change of state).
    private var journalFailing = false
    private var compactionFailing = false
    /// Tasks waiting for room or for the spool to empty; each re-checks after waking.
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var subscriber: AsyncStream<Held>.Continuation?
    /// Whether the last write failed, to log a change of state once rather than every batch.
    private var writeFailing = false
    /// Whether reclaiming space failed last time (logged once per change of state).
    private var reclaimFailing = false
    private var closed = false

    /// Opens the spool under `configuration.directory`, recovering what a previous run left there.
    /// - Parameters:
    ///   - policies: each configured source's `when_full` policy.
    ///   - priorities: each configured source's `priority` (0 when absent).
    init(
        configuration: Configuration,
        stateDirectory: String,
        policies: [String: SpoolPolicy],
        priorities: [String: Int] = [:],
        metrics: AgentMetrics,
        logger: Logger
    ) throws {
        let recovered = try Self.recover(configuration, metrics: metrics, logger: logger)
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        logs = recovered.logs
        for index in logs.indices {
            logs[index].policy = policies[logs[index].name] ?? .block
            logs[index].priority = priorities[logs[index].name] ?? 0
            logIndex[logs[index].name] = index
        }
        queues = Array(repeating: [], count: logs.count)
        for entry in recovered.entries { queues[entry.log].append(entry) }
        totalBytes = recovered.totalBytes
        journal = recovered.journal!
        handedOff = Deque(recovered.handedOff)
        sequences = try SequenceAllocator(directory: stateDirectory, name: "sequence")
        try sequences.skip(past: recovered.highestSequence)
        // Ids before this version were the sequence numbers: a new install of `ids` starts above them. Whatever the
        // file says, ids continue above every id the spool still knows of: a batch held, a hand-off noted (an
        // acknowledged batch's line may outlive it), a tail checkpoint (compared by id).
        ids = try SequenceAllocator(directory: configuration.directory, name: "ids", start: sequences.peek)
        let checkpointed = logs.flatMap { $0.latestCheckpoints.entries.values.map(\.sequence) }
        try ids.skip(past: max(recovered.entries.last?.id ?? 0, recovered.highestID, checkpointed.max() ?? 0))
        metrics.spoolBytes.set(Int64(totalBytes))
        metrics.spoolBatches.set(Int64(recovered.entries.count))
    }

    var heldBytes: Int { totalBytes }
    /// BATCH payload bytes of the batches the collector acknowledged since the spool opened: the rate the backlog
    /// really drains at.
    private(set) var acknowledgedBytes: UInt64 = 0
    var heldBatches: Int { queues.reduce(0) { $0 + $1.count } }

    /// The tail positions to resume `source` from, one per path it followed: the newest spooled, dropped on
    /// purpose or saved.
    func checkpoints(source: String) -> [TailCheckpoint] {
        guard !closed, let log = logIndex[source] else { return [] }
        return logs[log].latestCheckpoints.checkpoints
    }

    /// Numbers the batch and writes it to the spool, applying `policy` when it does not fit (`drop_oldest` evicts
    /// batches of sources of `priority` or lower only).
    /// Throws `CancellationError` if the task is cancelled while a `block` source waits for room.
    func append(
        _ frame: Message.BatchFrame,
        source: String,
        policy: SpoolPolicy,
        priority: Int = 0,
        checkpoints: [TailCheckpoint]
    ) async throws
        -> AppendOutcome
    {
        guard !closed else { throw AgentError("the spool is closed (the agent is stopping)") }
        let log: Int
        do {
            log = try self.log(for: source, policy: policy, priority: priority)
        } catch {
            return writeFailed(source: source, records: Int(frame.recordCount), reason: "\(error)")
        }
        let size =
            SpoolRecordFormat.fixedHeaderSize + min(source.utf8.count, 255) + 4 + 1
            + SpoolRecordFormat.checkpointsSize(checkpoints) + SpoolRecordFormat.frameFieldsSize
            + frame.body.readableBytes
        // A batch larger than the whole spool still goes into an empty one, so it cannot block a source forever.
        while totalBytes > 0 && totalBytes + size > configuration.maxBytes {
            switch policy {
            case .block:
                try Task.checkCancellation()
                await waitForChange()
                // The actor ran other calls meanwhile: the spool may have been closed.
                guard !closed else { throw AgentError("the spool is closed (the agent is stopping)") }
                continue
            case .dropOldest:
                if evict(toFit: size, preferring: log) { continue }
            case .dropNewest:
                break
            }
            // Dropped on purpose: the tail must not read these lines again.
            logs[log].noteLatest(checkpoints, sequence: ids.peek - 1)
            logs[log].noteReleased(checkpoints, sequence: ids.peek - 1)
            metrics.dropped(Int(frame.recordCount), source: source, reason: "spool_full")
            return .dropped
        }

        var numbered = frame
        do {
            numbered.sequence = try ids.allocate()
        } catch {
            return writeFailed(source: source, records: Int(frame.recordCount), reason: "\(error)")
        }
        let bytes = SpoolRecordFormat.encode(numbered, source: source, checkpoints: checkpoints)
        if !logs[log].appendable
            || (logs[log].segments.last!.bytes > 0
                && logs[log].segments.last!.bytes + bytes.readableBytes > configuration.segmentBytes)
        {
            do {
                try logs[log].openSegment()
            } catch {
                return writeFailed(source: source, records: Int(frame.recordCount), reason: "\(error)")
            }
        }
        let segment = logs[log].segments.count - 1
        let offset = logs[log].segments[segment].bytes
        let descriptor = logs[log].segments[segment].descriptor
        let written = bytes.withUnsafeReadableBytes { SpoolIO.write($0, to: descriptor, at: offset) }
        guard written else {
            let reason = SpoolIO.reason()
            _ = ftruncate(descriptor, off_t(offset))
            return writeFailed(source: source, records: Int(frame.recordCount), reason: reason)
        }
        if writeFailing {
            writeFailing = false
            logger.info("spool writable again", metadata: ["source": "\(source)"])
        }
        if case .always = configuration.fsync {
            fdatasync(descriptor)
        } else {
            logs[log].segments[segment].dirty = true
        }
        logs[log].segments[segment].bytes += bytes.readableBytes
        logs[log].segments[segment].live += 1
        totalBytes += bytes.readableBytes
        logs[log].noteLatest(checkpoints, sequence: numbered.sequence)
        let entry = Entry(
            id: numbered.sequence,
            log: log,
            ordinal: logs[log].segments[segment].ordinal,
            offset: offset,
            size: bytes.readableBytes,
            wireSize: numbered.wireSize,
            records: Int(numbered.recordCount),
            checkpoints: checkpoints
        )
        queues[log].append(entry)
        updateGauges()
        subscriber?.yield(held(entry))
        return .spooled(id: entry.id)
    }

    /// A batch that could not be written (a full or failing disk) is dropped and counted; logged once per change.
    private func writeFailed(source: String, records: Int, reason: String) -> AppendOutcome {
        if !writeFailing {
            writeFailing = true
            logger.error(
                "cannot write to the spool, dropping batches",
                metadata: ["source": "\(source)", "error": "\(reason)"]
            )
        }
        metrics.dropped(records, source: source, reason: "spool_write_error")
        return .dropped
    }

    /// What is held now, and every batch appended from now on (one subscriber at a time: the live session).
    func subscribe() -> (held: [Held], appended: AsyncStream<Held>) {
        subscriber?.finish()
        let (stream, continuation) = AsyncStream<Held>.makeStream()
        subscriber = continuation
        return (queues.joined().sorted { $0.id < $1.id }.map(held), stream)
    }

    private func held(_ entry: Entry) -> Held {
        Held(
            id: entry.id,
            size: entry.wireSize,
            source: entry.log,
            priority: logs[entry.log].priority,
            sequence: entry.sequence
        )
    }

    func unsubscribe() {
        subscriber?.finish()
        subscriber = nil
    }

    /// The frame to write for batch `id`, read back from disk, under its wire sequence number: the one it was
    /// sent under before, or the next one, noted in the journal before it is returned. Nil when the batch is no
    /// longer held (acknowledged or evicted meanwhile) or its bytes turned out damaged (dropped and counted).
    /// Throws when no sequence number can be reserved (`state_dir/sequence` cannot be written).
    func handOff(id: UInt64) throws -> Message.BatchFrame? {
        guard !closed, let (queue, index) = position(of: id) else { return nil }
        let entry = queues[queue][index]
        let log = logs[entry.log]
        guard let segment = log.index(of: entry.ordinal),
            let bytes = Self.read(
                log.segments[segment],
                path: log.segmentPath(entry.ordinal),
                at: entry.offset,
                count: entry.size
            )
        else {
            damaged(queue, at: index, detail: "cannot read back")
            return nil
        }
        let decoded: ([TailCheckpoint], Message.BatchFrame)? = bytes.withUnsafeBytes { raw in
            guard case .header(let header) = SpoolRecordFormat.header(raw, maxPayload: Self.maxPayload),
                header.id == id, header.entrySize == raw.count
            else { return nil }
            return SpoolRecordFormat.decodePayload(
                UnsafeRawBufferPointer(rebasing: raw[header.size...]),
                header: header
            )
        }
        guard var frame = decoded?.1 else {
            damaged(queue, at: index, detail: "checksum mismatch")
            return nil
        }
        if let sequence = entry.sequence {
            frame.sequence = sequence
            return frame
        }
        let handoff = HandoffJournal.Handoff(sequence: try sequences.allocate(), id: id)
        queues[queue][index].sequence = handoff.sequence
        handedOff.append(handoff)
        do {
            try journal.record(handoff, sync: configuration.fsync == .always)
            if journalFailing {
                journalFailing = false
                logger.info("spool hand-off journal writable again")
            }
        } catch {
            // Sent all the same: a batch stuck here would stall the source. Should the agent stop before the
            // collector acknowledges it, the next run sends it again under a new number (a possible duplicate).
            if !journalFailing {
                journalFailing = true
                logger.error("cannot note a hand-off in the spool; sending anyway", metadata: ["error": "\(error)"])
            }
        }
        frame.sequence = handoff.sequence
        return frame
    }

    /// Reads a batch's bytes from its segment, opening it for the read if it is not open.
    private static func read(_ segment: SpoolLog.Segment, path: String, at offset: Int, count: Int) -> [UInt8]? {
        if segment.descriptor >= 0 { return SpoolIO.read(from: segment.descriptor, at: offset, count: count) }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { Glibc.close(descriptor) }
        return SpoolIO.read(from: descriptor, at: offset, count: count)
    }

    /// Releases every batch sent under a sequence number up to and including `sequence` (the collector committed
    /// them). Returns how many batches and records that acknowledged.
    @discardableResult
    func release(upTo sequence: UInt64) -> (batches: Int, records: Int) {
        guard !closed else { return (0, 0) }
        var batches = 0
        var records = 0
        var touched = Set<Int>()
        while let handoff = handedOff.first, handoff.sequence <= sequence {
            guard let (queue, index) = position(of: handoff.id) else {
                handedOff.removeFirst()
                continue
            }
            let first = remove(queue, at: index)
            touched.insert(first.log)
            batches += 1
            records += first.records
            acknowledgedBytes &+= UInt64(first.wireSize)
            metrics.acknowledged(first.records, source: logs[first.log].name)
        }
        guard batches > 0 else { return (0, 0) }
        reclaim(touched)
        compactJournal()
        return (batches, records)
    }

    /// Rewrites the hand-off journal without the lines no longer needed, once they outnumber the others: the lines
    /// of batches not yet acknowledged, and those of batches gone whose segment is still there.
    private func compactJournal() {
        guard journal.wantsCompaction(keeping: handedOff.count) else { return }
        retained.removeAll { retained in
            guard let segment = logs[retained.log].index(of: retained.ordinal) else { return true }
            return logs[retained.log].segments[segment].bytes == 0
        }
        guard journal.wantsCompaction(keeping: handedOff.count + retained.count) else { return }
        do {
            try journal.compact(
                keeping: (Array(handedOff) + retained.map(\.handoff)).sorted { $0.sequence < $1.sequence }
            )
            if compactionFailing {
                compactionFailing = false
                logger.info("spool hand-off journal rewritten again")
            }
        } catch {
            if !compactionFailing {
                compactionFailing = true
                logger.warning(
                    "cannot rewrite the spool hand-off journal; retrying later",
                    metadata: ["error": "\(error)"]
                )
            }
        }
    }

    /// Drops one batch that can never be delivered, counting its records under `reason`; returns how many.
    func drop(id: UInt64, reason: String) -> Int {
        guard !closed, let (queue, index) = position(of: id) else { return 0 }
        let entry = remove(queue, at: index)
        metrics.dropped(entry.records, source: logs[entry.log].name, reason: reason)
        reclaim([entry.log])
        return entry.records
    }

    /// The collector already holds everything up to `highWater`: sequence numbers handed out from now on are above
    /// it, even if this agent's `sequence` file was lost.
    func skipSequences(past highWater: UInt64) throws {
        guard !closed else { return }
        try sequences.skip(past: highWater)
    }

    /// Records held awaiting an ACK, by source: what a STATS frame reports as `pending`.
    func pendingRecords() -> [String: Int] {
        guard !closed else { return [:] }
        var pending: [String: Int] = [:]
        for entry in queues.joined() {
            pending[logs[entry.log].name, default: 0] += entry.records
        }
        return pending
    }

    /// Flushes written segments and the hand-off journal to disk (the `interval` policy calls this on a timer;
    /// every policy at shutdown).
    func sync() {
        journal.sync()
        for log in logs.indices {
            for segment in logs[log].segments.indices where logs[log].segments[segment].dirty {
                fdatasync(logs[log].segments[segment].descriptor)
                logs[log].segments[segment].dirty = false
            }
        }
    }

    /// Syncs and closes every file. The spool is not used afterwards.
    func close() {
        guard !closed else { return }
        closed = true
        sync()
        for log in logs { log.closeFiles() }
        logs.removeAll()
        journal.close()
        ids.close()
        sequences.close()
        subscriber?.finish()
        subscriber = nil
        wakeWaiters()
    }

    /// Returns once every batch held has been acknowledged, or when the task is cancelled.
    /// Returns true once every batch held has been acknowledged; false if the task is cancelled or the spool
    /// closed first.
    @discardableResult
    func waitUntilEmpty() async -> Bool {
        while heldBatches > 0 && !Task.isCancelled && !closed {
            await waitForChange()
        }
        return heldBatches == 0 && !closed
    }

    // MARK: - Internals

    private func log(for source: String, policy: SpoolPolicy, priority: Int) throws -> Int {
        if let index = logIndex[source] {
            logs[index].policy = policy
            logs[index].priority = priority
            return index
        }
        let directory = configuration.directory + "/source-" + source
        logs.append(try SpoolLog(name: source, directory: directory, policy: policy))
        queues.append([])
        logs[logs.count - 1].priority = priority
        logIndex[source] = logs.count - 1
        return logs.count - 1
    }

    /// Where batch `id` is: its source's queue and its index there.
    func position(of id: UInt64) -> (queue: Int, index: Int)? {
        for (queue, entries) in queues.enumerated() {
            guard let first = entries.first, let last = entries.last, first.id <= id, id <= last.id else { continue }
            let index = entries.partitioningIndex { $0.id >= id }
            if index < entries.endIndex && entries[index].id == id { return (queue, index) }
        }
        return nil
    }

    /// Takes a batch out of the spool (acknowledged, dropped or found damaged): out of its segment's live count, and
    /// its tail position may now be saved, since the collector holds its lines or they were given up on purpose. A
    /// batch that was handed to a connection keeps its journal line while its segment is there.
    private func remove(_ queue: Int, at index: Int) -> Entry {
        let entry = queues[queue].remove(at: index)
        if let sequence = entry.sequence {
            if handedOff.first?.id == entry.id {
                handedOff.removeFirst()
            } else if let handed = handedOff.firstIndex(where: { $0.id == entry.id }) {
                handedOff.remove(at: handed)
            }
            retained.append(
                Retained(
                    handoff: HandoffJournal.Handoff(sequence: sequence, id: entry.id),
                    log: entry.log,
                    ordinal: entry.ordinal
                )
            )
        }
        if let segment = logs[entry.log].index(of: entry.ordinal) {
            logs[entry.log].segments[segment].live -= 1
        }
        logs[entry.log].noteReleased(entry.checkpoints, sequence: entry.id)
        return entry
    }

    func reclaim(_ touched: Set<Int>) {
        var failure: (any Error)?
        for log in touched {
            let result = logs[log].reclaim()
            totalBytes -= result.freed
            failure = failure ?? result.failure
        }
        if let failure, !reclaimFailing {
            logger.error(
                "cannot free spool space; retrying at the next acknowledgement",
                metadata: ["error": "\(failure)"]
            )
        } else if failure == nil && reclaimFailing {
            logger.info("spool space freed again")
        }
        reclaimFailing = failure != nil
        updateGauges()
        wakeWaiters()
    }

    private func damaged(_ queue: Int, at index: Int, detail: String) {
        let entry = remove(queue, at: index)
        let log = logs[entry.log]
        metrics.spoolDamage(kind: "corrupt").increment()
        metrics.spoolDamagedBytes.increment(by: Int64(entry.size))
        metrics.dropped(entry.records, source: log.name, reason: "spool_corrupt")
        logger.warning(
            "damaged batch in the spool skipped",
            metadata: [
                "segment": "\(log.segmentPath(entry.ordinal))", "offset": "\(entry.offset)",
                "batch.id": "\(entry.id)",
                "records": "\(entry.records)", "reason": "\(detail)",
            ]
        )
        reclaim([entry.log])
    }

    /// Deletes whole unsent segments of `drop_oldest` sources of `preferred`'s priority or lower, lowest priority
    /// first, `preferred`'s own first among its equals, oldest first within a source, until `size` more bytes fit.
    /// A more important source's batches are never evicted for a less important one. Returns false when nothing
    /// more can be evicted.
    private func evict(toFit size: Int, preferring preferred: Int) -> Bool {
        let ceiling = logs[preferred].priority
        let candidates = logs.indices.filter {
            $0 == preferred || (logs[$0].policy == .dropOldest && logs[$0].priority <= ceiling)
        }.sorted { a, b in
            if logs[a].priority != logs[b].priority { return logs[a].priority < logs[b].priority }
            if (a == preferred) != (b == preferred) { return a == preferred }
            return a < b
        }
        for log in candidates {
            // The segment being appended to stays; a segment with a batch that may have been sent stays too.
            for segment in logs[log].segments.dropLast() where segment.live > 0 {
                let members = queues[log].indices.filter { queues[log][$0].ordinal == segment.ordinal }
                guard members.allSatisfy({ queues[log][$0].sequence == nil }) else { continue }
                var records = 0
                for index in members.reversed() {
                    records += remove(log, at: index).records
                }
                metrics.dropped(records, source: logs[log].name, reason: "spool_evicted")
                logger.warning(
                    "spool full, oldest unsent batches dropped",
                    metadata: ["source": "\(logs[log].name)", "batches": "\(members.count)", "records": "\(records)"]
                )
                reclaim([log])
                return true
            }
        }
        return false
    }

    private func updateGauges() {
        metrics.spoolBytes.set(Int64(totalBytes))
        metrics.spoolBatches.set(Int64(heldBatches))
    }

    /// Suspends until batches are released or the task is cancelled.
    private func waitForChange() async {
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
