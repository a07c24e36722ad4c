import DequeModule
import LeptonCore
import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension Spool {
    /// What a previous run left in the spool directory.
    struct Recovered {
        var logs: [SpoolLog] = []
        var entries: [Entry] = []
        var totalBytes = 0
        var journal: HandoffJournal?
        /// Batches handed to a connection before, in sequence order.
        var handedOff: [HandoffJournal.Handoff] = []
        /// The highest sequence number and the highest id the journal names.
        var highestSequence: UInt64 = 0
        var highestID: UInt64 = 0
    }

    /// Reads every segment left by a previous run: intact batches are held again, damaged bytes are skipped
    /// and counted (with one warning per damaged stretch), missing segments are reported, empty ones removed.
    static func recover(_ configuration: Configuration, metrics: AgentMetrics, logger: Logger) throws -> Recovered {
        let root = configuration.directory
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var recovered = Recovered()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for name in names.sorted() where name.hasPrefix("source-") {
            var log = try SpoolLog(
                name: String(name.dropFirst("source-".count)),
                directory: root + "/" + name,
                policy: .block
            )
            let found = try recoverLog(&log, metrics: metrics, logger: logger, startIndex: recovered.logs.count)
            recovered.entries += found
            recovered.totalBytes += log.bytes
            recovered.logs.append(log)
        }
        recovered.entries.sort { $0.id < $1.id }

        var found: [HandoffJournal.Handoff] = []
        let journal = try HandoffJournal(directory: root, found: &found)
        recovered.journal = journal
        migrateSentMark(root: root, entries: recovered.entries, journal: journal, found: &found, logger: logger)
        recovered.highestSequence = found.map(\.sequence).max() ?? 0
        recovered.highestID = found.map(\.id).max() ?? 0
        var sequenceOf: [UInt64: UInt64] = [:]
        for handoff in found where sequenceOf[handoff.id] == nil { sequenceOf[handoff.id] = handoff.sequence }
        for index in recovered.entries.indices {
            recovered.entries[index].sequence = sequenceOf[recovered.entries[index].id]
        }
        recovered.handedOff = recovered.entries.compactMap { entry in
            entry.sequence.map { HandoffJournal.Handoff(sequence: $0, id: entry.id) }
        }.sorted { $0.sequence < $1.sequence }
        if journal.wantsCompaction(keeping: recovered.handedOff.count) {
            do {
                try journal.compact(keeping: recovered.handedOff)
            } catch {
                // A full disk, most likely: the lines stay, and the next acknowledgements try again.
                logger.warning("cannot rewrite the spool hand-off journal", metadata: ["error": "\(error)"])
            }
        }
        if !recovered.entries.isEmpty {
            logger.info(
                "spool recovered",
                metadata: ["batches": "\(recovered.entries.count)", "bytes": "\(recovered.totalBytes)"]
            )
        }
        return recovered
    }

    /// Versions before the hand-off journal numbered batches when they were spooled (the id was the sequence number)
    /// and kept only `spool/sent`, the highest number sent, written without an fsync. Any batch they left may have
    /// reached the collector under its id, so each keeps its id as sequence number: resent under it, released by
    /// the collector's high-water mark if it was stored. `sent` goes once the journal holds them all.
    private static func migrateSentMark(
        root: String,
        entries: [Entry],
        journal: HandoffJournal,
        found: inout [HandoffJournal.Handoff],
        logger: Logger
    ) {
        let path = root + "/sent"
        guard FileManager.default.fileExists(atPath: path) else { return }
        let known = Set(found.map(\.id))
        let taken = entries.filter { !known.contains($0.id) }.map { HandoffJournal.Handoff(sequence: $0.id, id: $0.id) }
        // The batches keep these numbers in this run whether or not the journal can note them yet.
        found += taken
        do {
            for handoff in taken { try journal.record(handoff, sync: false) }
            journal.sync()
            unlink(path)
        } catch {
            logger.warning(
                "cannot take over the spool's sent mark yet; kept for the next start",
                metadata: ["error": "\(error)"]
            )
        }
    }

    private static func recoverLog(
        _ log: inout SpoolLog,
        metrics: AgentMetrics,
        logger: Logger,
        startIndex: Int
    ) throws -> [Entry] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: log.directory)) ?? [])
            .filter { $0.hasSuffix(".seg") }
            .compactMap { UInt64($0.dropLast(4)) }
            .sorted()
        let head = log.readHead() ?? files.first ?? 0
        log.latestCheckpoints = log.readCheckpointFiles()
        log.releasedCheckpoints = log.latestCheckpoints
        var entries: [Entry] = []
        var expected = head
        for ordinal in files {
            let path = log.segmentPath(ordinal)
            if ordinal < head {
                // Reclaimed: `head` moved past it, the crash came before the unlink.
                unlink(path)
                continue
            }
            if ordinal > expected {
                metrics.spoolDamage(kind: "missing_segment").increment(by: Int64(ordinal - expected))
                logger.warning(
                    "spool segments missing, their batches are lost",
                    metadata: [
                        "source": "\(log.name)", "from": "\(log.segmentPath(expected))",
                        "count": "\(ordinal - expected)",
                    ]
                )
            }
            expected = ordinal + 1
            // Read once here, then closed: segments from earlier runs are reopened only to send a batch, so
            // many restarts while offline cannot pile up open files.
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0, let size = SpoolIO.fileSize(descriptor) else {
                throw AgentError("cannot open spool segment \(path): \(SpoolIO.reason())")
            }
            defer { Glibc.close(descriptor) }
            var bytes: [UInt8] = []
            if size > 0 {
                guard let read = SpoolIO.read(from: descriptor, at: 0, count: size) else {
                    metrics.spoolDamage(kind: "unreadable").increment()
                    metrics.spoolDamagedBytes.increment(by: Int64(size))
                    logger.warning(
                        "spool segment unreadable, skipped",
                        metadata: ["segment": "\(path)", "error": "\(SpoolIO.reason())"]
                    )
                    log.segments.append(
                        SpoolLog.Segment(ordinal: ordinal, descriptor: -1, bytes: size, live: 0)
                    )
                    continue
                }
                bytes = read
            }
            let (found, damage) = bytes.withUnsafeBytes { SpoolRecordFormat.scan($0, maxPayload: maxPayload) }
            for stretch in damage {
                metrics.spoolDamage(kind: stretch.kind.rawValue).increment()
                metrics.spoolDamagedBytes.increment(by: Int64(stretch.bytes))
                if let records = stretch.records {
                    metrics.dropped(records, source: stretch.source ?? log.name, reason: "spool_corrupt")
                }
                logger.warning(
                    "damaged bytes in the spool skipped",
                    metadata: [
                        "segment": "\(path)", "offset": "\(stretch.offset)", "bytes": "\(stretch.bytes)",
                        "kind": "\(stretch.kind.rawValue)",
                        "records": "\(stretch.records.map(String.init) ?? "unknown")",
                    ]
                )
            }
            for batch in found {
                entries.append(
                    Entry(
                        id: batch.header.id,
                        log: startIndex,
                        ordinal: ordinal,
                        offset: batch.offset,
                        size: batch.header.entrySize,
                        wireSize: batch.wireSize,
                        records: batch.header.records,
                        checkpoints: batch.checkpoints
                    )
                )
                log.noteLatest(batch.checkpoints, sequence: batch.header.id)
            }
            log.segments.append(
                SpoolLog.Segment(ordinal: ordinal, descriptor: -1, bytes: size, live: found.count)
            )
        }
        log.nextOrdinal = max(expected, head)
        // Segments found here are only read: new batches go to a fresh segment, never after damaged bytes.
        log.appendable = false
        if let failure = log.reclaim().failure { throw failure }
        return entries
    }
}
