import DequeModule
import LeptonCore

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

/// One source's chain of segment files under `state_dir/spool/source-NAME/`: `ORDINAL.seg` files, oldest first,
/// the last one being appended to. `head` names the oldest ordinal still in use, so a segment that disappears
/// is noticed; `checkpoint-KEY` files hold the tail position of each path followed once the batches carrying
/// it are gone.
struct SpoolLog {
    struct Segment {
        var ordinal: UInt64
        /// -1 once the segment was emptied in place and closed (kept only to keep the chain of ordinals whole).
        var descriptor: Int32
        var bytes: Int
        /// Batches in this segment still held (not acknowledged, dropped or found damaged).
        var live: Int
        /// Written since the last fsync.
        var dirty = false
    }

    let name: String
    let directory: String
    var policy: SpoolPolicy
    /// The source's `priority`: under `drop_oldest`, only sources of this priority or lower lose batches to it.
    var priority = 0
    var segments: Deque<Segment> = []
    var nextOrdinal: UInt64 = 0
    /// Whether the last segment may take more batches (segments found at startup are only read).
    var appendable = false
    /// Where the source resumes after a restart, per path followed: the newest tail positions found at startup
    /// (in the checkpoint files or in spooled batches) and spooled since.
    var latestCheckpoints = CheckpointTable()
    /// The newest tail positions whose lines no longer need the spool (their batch was acknowledged, or dropped
    /// and counted): what the checkpoint files must hold before the segments carrying older ones go. A batch
    /// still waiting may not be on disk yet (fsync `interval`), so its position is never saved ahead of it.
    var releasedCheckpoints = CheckpointTable()
    /// Paths whose released position is newer than their checkpoint file.
    var unsavedCheckpoints: Set<TailKey> = []
    /// Paths forgotten to bound the table, whose checkpoint files are to be deleted.
    var forgottenCheckpoints: Set<TailKey> = []
    let headFile: SpoolStateFile

    init(name: String, directory: String, policy: SpoolPolicy) throws {
        self.name = name
        self.directory = directory
        self.policy = policy
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        headFile = try SpoolStateFile(path: directory + "/head")
    }

    var bytes: Int { segments.reduce(0) { $0 + $1.bytes } }

    func segmentPath(_ ordinal: UInt64) -> String {
        let digits = String(ordinal)
        return directory + "/" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits + ".seg"
    }

    /// The index of the segment `ordinal` in `segments` (ordinals rise along the chain, with gaps where segments
    /// were found missing).
    func index(of ordinal: UInt64) -> Int? {
        let index = segments.partitioningIndex { $0.ordinal >= ordinal }
        return index < segments.endIndex && segments[index].ordinal == ordinal ? index : nil
    }

    /// Opens a new segment to append to.
    mutating func openSegment() throws {
        let ordinal = nextOrdinal
        let path = segmentPath(ordinal)
        let descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw AgentError("cannot create spool segment \(path): \(SpoolIO.reason())") }
        SpoolIO.syncDirectory(directory)
        nextOrdinal += 1
        segments.append(Segment(ordinal: ordinal, descriptor: descriptor, bytes: 0, live: 0))
        appendable = true
        if segments.count == 1 { try headFile.write("\(ordinal)") }
    }

    /// The oldest ordinal in use, as last saved.
    func readHead() -> UInt64? {
        headFile.read().flatMap { UInt64($0) }
    }

    /// The lines up to each of `checkpoints` (of the batch numbered `sequence`, or dropped when that was the
    /// last number allocated) need the spool no more.
    mutating func noteReleased(_ checkpoints: [TailCheckpoint], sequence: UInt64) {
        for checkpoint in checkpoints {
            let (changed, evicted) = releasedCheckpoints.note(checkpoint, sequence: sequence)
            if changed {
                unsavedCheckpoints.insert(checkpoint.key)
                forgottenCheckpoints.remove(checkpoint.key)
            }
            if let evicted {
                unsavedCheckpoints.remove(evicted)
                forgottenCheckpoints.insert(evicted)
            }
        }
    }

    /// Notes the newest tail positions spooled (or dropped on purpose): where a restart resumes.
    mutating func noteLatest(_ checkpoints: [TailCheckpoint], sequence: UInt64) {
        for checkpoint in checkpoints { latestCheckpoints.note(checkpoint, sequence: sequence) }
    }

    /// `checkpoint-KEY`: the saved position of one path (`checkpoint` alone is the one file of older versions,
    /// which named no path).
    private func checkpointPath(_ key: TailKey) -> String {
        key == .unknown ? directory + "/checkpoint" : directory + "/checkpoint-\(key)"
    }

    /// Saves the released checkpoints that their files do not hold yet, and deletes the files of forgotten paths.
    mutating func persistCheckpoints() throws {
        for key in unsavedCheckpoints {
            guard let entry = releasedCheckpoints.entries[key] else { continue }
            let file = try SpoolStateFile(path: checkpointPath(key))
            defer { file.close() }
            let (checkpoint, identity) = (entry.checkpoint, entry.checkpoint.file)
            try file.write(
                "\(entry.sequence) \(identity.device) \(identity.inode) \(identity.fingerprintLength) "
                    + "\(identity.fingerprint) \(checkpoint.offset)"
            )
            unsavedCheckpoints.remove(key)
        }
        for key in forgottenCheckpoints {
            unlink(checkpointPath(key))
        }
        forgottenCheckpoints = []
    }

    /// The saved checkpoints that are intact, with the sequence of the batch each came with.
    func readCheckpointFiles() -> CheckpointTable {
        var table = CheckpointTable()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names {
            let key: TailKey
            if name == "checkpoint" {
                key = .unknown
            } else if name.hasPrefix("checkpoint-"), let value = UInt64(name.dropFirst(11), radix: 16) {
                key = TailKey(value: value)
            } else {
                continue
            }
            guard let file = try? SpoolStateFile(path: checkpointPath(key)) else { continue }
            defer { file.close() }
            let fields = (file.read() ?? "").split(separator: " ")
            guard fields.count == 6, let sequence = UInt64(fields[0]), let device = UInt64(fields[1]),
                let inode = UInt64(fields[2]), let length = UInt16(fields[3]), let fingerprint = UInt32(fields[4]),
                let offset = Int64(fields[5])
            else { continue }
            let identity = FileIdentity(
                device: device,
                inode: inode,
                fingerprintLength: length,
                fingerprint: fingerprint
            )
            table.note(TailCheckpoint(key: key, file: identity, offset: offset), sequence: sequence)
        }
        return table
    }

    /// Deletes or empties segments that hold nothing live any more. The oldest are deleted (after moving `head`
    /// past them and saving the checkpoint they may carry); one in the middle is emptied in place and closed,
    /// keeping the chain of ordinals whole. Returns the bytes freed, and the failure that stopped it, if any
    /// (the state files are rewritten in place, so even a full disk should not).
    mutating func reclaim() -> (freed: Int, failure: (any Error)?) {
        var freed = 0
        do {
            while let first = segments.first, first.live == 0 {
                try persistCheckpoints()
                try headFile.write("\(segments.count > 1 ? segments[1].ordinal : nextOrdinal)")
                if first.descriptor >= 0 { close(first.descriptor) }
                unlink(segmentPath(first.ordinal))
                freed += first.bytes
                segments.removeFirst()
                if segments.isEmpty { appendable = false }
            }
            for index in segments.indices where segments[index].live == 0 && segments[index].descriptor >= 0 {
                let isWriting = appendable && index == segments.count - 1
                guard segments[index].bytes > 0 || !isWriting else { continue }
                try persistCheckpoints()
                guard ftruncate(segments[index].descriptor, 0) == 0 else {
                    throw AgentError(
                        "cannot empty spool segment \(segmentPath(segments[index].ordinal)): \(SpoolIO.reason())"
                    )
                }
                freed += segments[index].bytes
                segments[index].bytes = 0
                segments[index].dirty = false
                if !isWriting {
                    close(segments[index].descriptor)
                    segments[index].descriptor = -1
                }
            }
        } catch {
            return (freed, error)
        }
        return (freed, nil)
    }

    func closeFiles() {
        for segment in segments where segment.descriptor >= 0 { close(segment.descriptor) }
        headFile.close()
    }
}

/// The few system calls the spool makes, with retries on EINTR.
enum SpoolIO {
    static func reason() -> String { String(cString: strerror(errno)) }

    /// Writes all of `bytes` at `offset`; false (with `errno` set) if the disk refused.
    static func write(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, at offset: Int) -> Bool {
        var done = 0
        while done < bytes.count {
            let written = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            done += written
        }
        return true
    }

    /// Reads exactly `count` bytes at `offset`, or nil.
    static func read(from descriptor: Int32, at offset: Int, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes {
                pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset + done))
            }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { return nil }
            done += got
        }
        return bytes
    }

    static func fileSize(_ descriptor: Int32) -> Int? {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        return Int(status.st_size)
    }

    static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
