import DequeModule
import Foundation
import LeptonCore
import LeptonRuntime

/// One source's chain of segment files under `state_dir/spool/source-NAME/`: `ORDINAL.seg` files, oldest first,
/// the last one being appended to. `head` names the oldest ordinal still in use, so a segment that disappears
/// is noticed; `checkpoint` holds the tail position once the batches carrying it are gone.
struct SpoolLog {
    struct Segment {
        var ordinal: UInt64
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
    var segments: Deque<Segment> = []
    var nextOrdinal: UInt64 = 0
    /// Whether the last segment may take more batches (segments found at startup are only read).
    var appendable = false
    /// The newest tail position handed to the spool, with the last sequence number allocated at that time.
    var latestCheckpoint: (sequence: UInt64, checkpoint: TailCheckpoint)?
    var persistedCheckpointSequence: UInt64 = 0

    init(name: String, directory: String, policy: SpoolPolicy) {
        self.name = name
        self.directory = directory
        self.policy = policy
    }

    var bytes: Int { segments.reduce(0) { $0 + $1.bytes } }

    func segmentPath(_ ordinal: UInt64) -> String {
        let digits = String(ordinal)
        return directory + "/" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits + ".seg"
    }

    func index(of ordinal: UInt64) -> Int? {
        segments.firstIndex { $0.ordinal == ordinal }
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
        if segments.count == 1 { try writeHead(ordinal) }
    }

    func writeHead(_ ordinal: UInt64) throws {
        try SpoolIO.replace(directory: directory, name: "head", contents: "\(ordinal)\n")
    }

    /// Persists the newest checkpoint if the file does not hold it yet.
    mutating func persistCheckpoint() throws {
        guard let (sequence, checkpoint) = latestCheckpoint, sequence > persistedCheckpointSequence else { return }
        let file = checkpoint.file
        let line = "\(sequence) \(file.device) \(file.inode) \(file.fingerprintLength) \(file.fingerprint) \(checkpoint.offset)\n"
        try SpoolIO.replace(directory: directory, name: "checkpoint", contents: line)
        persistedCheckpointSequence = sequence
    }

    /// The checkpoint file's content, if it is there and well formed.
    func readCheckpointFile() -> (sequence: UInt64, checkpoint: TailCheckpoint)? {
        guard let text = try? String(contentsOfFile: directory + "/checkpoint", encoding: .utf8) else { return nil }
        let fields = text.split(whereSeparator: \.isWhitespace)
        guard fields.count == 6, let sequence = UInt64(fields[0]), let device = UInt64(fields[1]),
            let inode = UInt64(fields[2]), let length = UInt16(fields[3]), let fingerprint = UInt32(fields[4]),
            let offset = Int64(fields[5])
        else { return nil }
        let file = FileIdentity(device: device, inode: inode, fingerprintLength: length, fingerprint: fingerprint)
        return (sequence, TailCheckpoint(file: file, offset: offset))
    }

    /// Deletes or empties segments that hold nothing live any more. The oldest are deleted (after moving `head`
    /// past them and saving the checkpoint they may carry); one in the middle is emptied in place, keeping the
    /// chain of ordinals whole. Returns the bytes freed.
    mutating func reclaim() throws -> Int {
        var freed = 0
        while let first = segments.first, first.live == 0 {
            try persistCheckpoint()
            let next = segments.count > 1 ? segments[1].ordinal : nextOrdinal
            try writeHead(next)
            close(first.descriptor)
            unlink(segmentPath(first.ordinal))
            freed += first.bytes
            segments.removeFirst()
            if segments.isEmpty { appendable = false }
        }
        for index in segments.indices where segments[index].live == 0 && segments[index].bytes > 0 {
            try persistCheckpoint()
            guard ftruncate(segments[index].descriptor, 0) == 0 else {
                throw AgentError("cannot empty spool segment \(segmentPath(segments[index].ordinal)): \(SpoolIO.reason())")
            }
            freed += segments[index].bytes
            segments[index].bytes = 0
        }
        return freed
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
            let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset + done)) }
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

    static func replace(directory: String, name: String, contents: String) throws {
        do {
            try AtomicFileWriter.replace(directory: directory, name: name, contents: contents, mode: 0o600)
        } catch {
            throw AgentError("cannot write spool state: \(error)")
        }
    }
}
