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

/// Follows one path like `tail -F`: reads appended lines; after a rename rotation (another file at the path)
/// finishes the old file before opening the new one; after a truncation in place (copytruncate) starts again
/// from the top. A truncation is seen by the size going below the read position or by the first bytes changing
/// (checked before every read), so a file truncated and refilled between two polls is not mistaken for more of
/// the same file.
///
/// Every record carries the offset just past its line, so each spooled batch holds a checkpoint for the path.
/// At startup the tail resumes from the path's checkpoint: in the same file if it is still at the path (same
/// device, inode and first-bytes fingerprint), else in the rotated file found next to it, which is read to its
/// end first. Any file it opens that another tail of the source read before (by identity) goes on from there.
struct FileTailer: Sendable {
    let source: String
    let path: String
    let lines: LineSettings
    /// Where to start in a file at the path that no checkpoint knows: `start_at` for a file found at startup,
    /// the beginning for one that appears later.
    let startAt: StartPosition
    /// Whether the tail ends once the path is gone and its file read (a path a glob matched), rather than wait
    /// for the path to come back (a path named in the configuration).
    let endsWhenGone: Bool
    let registry: TailRegistry
    let metrics: AgentMetrics
    let logger: Logger
    var pollInterval: Duration
    var chunkBytes: Int
    /// How long a path matched by a glob may be missing before its tail ends (a rotation renames the file and
    /// creates a new one a moment later).
    var goneGrace: Duration = .seconds(1)

    var key: TailKey { TailKey(path: path) }

    private struct OpenFile {
        var descriptor: Int32
        var identity: FileIdentity
        var offset: Int64 = 0
        /// Another file now has the path; this one is read to its end once more, then let go of.
        var rotated = false
    }

    func run(into output: EventOutput) async throws {
        var reader = lines.reader(source: source, metrics: metrics, logger: logger)
        var file = resumeFile()
        var missingLogged = false
        var goneSince: ContinuousClock.Instant?
        var buffer = [UInt8](repeating: 0, count: chunkBytes)
        defer { if let file { letGo(file) } }

        while !Task.isCancelled {
            guard var current = file else {
                file = openAtPath()
                if file == nil {
                    let exists = access(path, F_OK) == 0
                    if endsWhenGone && !exists { return }
                    if !exists && !missingLogged {
                        logger.warning("waiting for file", metadata: ["source": "\(source)", "path": "\(path)"])
                        missingLogged = true
                    }
                    try await Task.sleep(for: pollInterval)
                } else if missingLogged {
                    logger.info("file appeared", metadata: ["source": "\(source)", "path": "\(path)"])
                    missingLogged = false
                }
                continue
            }
            if current.offset > 0, Self.wasTruncated(current) {
                // Truncated in place (copytruncate), perhaps already refilled past where we were: the first
                // bytes are not the ones we fingerprinted. Start again from the top.
                logger.info(
                    "file truncated, reading from the start",
                    metadata: ["source": "\(source)", "path": "\(path)"]
                )
                await finishLine(&reader, file: current, output: output)
                current.offset = 0
                // New content: checkpoints from now on must name it, not the old first bytes.
                current.identity = FileIdentity(descriptor: current.descriptor) ?? current.identity
                file = current
                continue
            }
            let count = buffer.withUnsafeMutableBytes {
                pread(current.descriptor, $0.baseAddress, $0.count, off_t(current.offset))
            }
            if count > 0 {
                let start = current.offset
                current.offset += Int64(count)
                if Int(current.identity.fingerprintLength) < FileIdentity.fingerprintBytes,
                    let grown = FileIdentity(descriptor: current.descriptor)
                {
                    // The file was shorter than a full fingerprint when opened: take more of its first bytes, so
                    // that a later file reusing the inode is told apart.
                    current.identity = grown
                }
                file = current
                let events = buffer.withUnsafeBytes {
                    reader.push(UnsafeRawBufferPointer(rebasing: $0.prefix(count)), at: start)
                }
                await output.emit(events, positions: positions(current, reader))
                continue
            }
            if count < 0 && errno != EINTR {
                logger.warning(
                    "read failed, reopening",
                    metadata: [
                        "source": "\(source)", "path": "\(path)", "error": "\(String(cString: strerror(errno)))",
                    ]
                )
                letGo(current)
                file = nil
                try await Task.sleep(for: pollInterval)
                continue
            }
            // At the end of what is written: has the file been rotated (another file at the path, or none)?
            var status = stat()
            if stat(path, &status) == 0 {
                goneSince = nil
                if UInt64(status.st_dev) != current.identity.device || UInt64(status.st_ino) != current.identity.inode {
                    if !current.rotated {
                        // A writer may still have appended to the old file since the read above.
                        current.rotated = true
                        file = current
                        continue
                    }
                    logger.info("file rotated", metadata: ["source": "\(source)", "path": "\(path)"])
                    await finishLine(&reader, file: current, output: output)
                    letGo(current)
                    file = nil
                    continue
                }
            } else if endsWhenGone {
                let now = ContinuousClock.now
                if let since = goneSince, now - since >= goneGrace {
                    logger.info("file gone, stopped following", metadata: ["source": "\(source)", "path": "\(path)"])
                    await finishLine(&reader, file: current, output: output)
                    letGo(current)
                    file = nil
                    return
                }
                goneSince = goneSince ?? now
            }
            // Nothing new: a multi-line record that waited long enough goes out as it is.
            let expired = reader.expire()
            await output.emit(expired, positions: positions(current, reader))
            try await Task.sleep(for: pollInterval)
        }
    }

    private func positions(_ file: OpenFile, _ reader: LineReader) -> FilePositions {
        FilePositions(key: key, file: file.identity, endOffsets: reader.eventEnds)
    }

    /// Whether the open file was truncated since it was fingerprinted: shorter than where we are, or its first
    /// bytes changed (truncated and written again to the same length or more between two polls).
    private static func wasTruncated(_ file: OpenFile) -> Bool {
        var status = stat()
        guard fstat(file.descriptor, &status) == 0 else { return false }
        if Int64(status.st_size) < file.offset { return true }
        return !file.identity.matches(file.identity, descriptor: file.descriptor)
    }

    /// Emits a last line that had no newline and any pending multi-line record, ending at the current offset.
    private func finishLine(_ reader: inout LineReader, file: OpenFile, output: EventOutput) async {
        let events = reader.finish(at: file.offset)
        await output.emit(events, positions: positions(file, reader))
    }

    /// Where to start: the checkpointed file and offset if it can be found, else the file at the path (from its
    /// beginning, or its end when `start_at: end` and nothing was ever read).
    private func resumeFile() -> OpenFile? {
        let own = registry.saved[key]
        if var file = claimed(Self.open(path)) {
            if let offset = knownOffset(of: file) {
                file.offset = offset
                logger.info(
                    "resuming file",
                    metadata: ["source": "\(source)", "path": "\(path)", "offset": "\(offset)"]
                )
                return file
            }
            guard let own else {
                if startAt == .end, let size = SpoolIO.fileSize(file.descriptor) { file.offset = Int64(size) }
                return file
            }
            // Another file is at the path now: the one read last time may have been rotated next to it.
            if let rotated = findRotated(own) {
                letGo(file, reading: false)
                return rotated
            }
            logger.warning(
                "file read last time is gone; starting the file at the path from its beginning",
                metadata: ["source": "\(source)", "path": "\(path)"]
            )
            return file
        }
        return own.flatMap(findRotated)
    }

    /// The file at the path, taken for this tail, going on from where another tail let go of it if one did.
    private func openAtPath() -> OpenFile? {
        guard var file = claimed(Self.open(path)) else { return nil }
        file.offset = knownOffset(of: file) ?? 0
        return file
    }

    /// Where this file was read up to, by this or another tail of the source (this run, or before the restart).
    private func knownOffset(of file: OpenFile) -> Int64? {
        for position in registry.positions(of: file.identity.node)
        where file.identity.matches(position.file, descriptor: file.descriptor) {
            let size = Int64(SpoolIO.fileSize(file.descriptor) ?? 0)
            return position.offset <= size ? position.offset : 0
        }
        return nil
    }

    /// The checkpointed file under another name in the same directory (rotated while the agent was stopped),
    /// positioned at the checkpoint, unless another tail of the source has it.
    private func findRotated(_ checkpoint: TailCheckpoint) -> OpenFile? {
        let identity = checkpoint.file
        let directory = PathText.deletingLastComponent(path)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        for name in names {
            let candidate = PathText.appending(name, to: directory)
            var status = stat()
            guard stat(candidate, &status) == 0, UInt64(status.st_ino) == identity.inode,
                UInt64(status.st_dev) == identity.device, let file = Self.open(candidate)
            else { continue }
            guard file.identity.matches(identity, descriptor: file.descriptor) else {
                close(file.descriptor)
                continue
            }
            guard var taken = claimed(file) else { return nil }
            // A tail of this run may have read it further than the checkpoint the source started from.
            taken.offset = knownOffset(of: taken) ?? checkpoint.offset
            taken.rotated = true
            logger.info(
                "resuming rotated file before the new one",
                metadata: ["source": "\(source)", "path": "\(candidate)", "offset": "\(taken.offset)"]
            )
            return taken
        }
        return nil
    }

    /// The file, once the registry gave it to this tail; closed and nil while another tail has it.
    private func claimed(_ file: OpenFile?) -> OpenFile? {
        guard let file else { return nil }
        guard registry.claim(file.identity.node, for: key) else {
            close(file.descriptor)
            return nil
        }
        return file
    }

    /// Closes the file and gives it back to the registry, with where it was read up to unless `reading` is false.
    private func letGo(_ file: OpenFile, reading: Bool = true) {
        close(file.descriptor)
        let position = TailCheckpoint(key: key, file: file.identity, offset: file.offset)
        registry.letGo(file.identity.node, at: reading ? position : nil)
    }

    private static func open(_ path: String) -> OpenFile? {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        guard let identity = FileIdentity(descriptor: descriptor) else {
            close(descriptor)
            return nil
        }
        return OpenFile(descriptor: descriptor, identity: identity)
    }
}

extension FileIdentity {
    /// The identity of an open file, fingerprinting the bytes it has now (up to ``fingerprintBytes``).
    init?(descriptor: Int32) {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        let length = min(Int(status.st_size), Self.fingerprintBytes)
        guard let fingerprint = Self.fingerprint(descriptor: descriptor, length: length) else { return nil }
        self.init(
            device: UInt64(status.st_dev),
            inode: UInt64(status.st_ino),
            fingerprintLength: UInt16(length),
            fingerprint: fingerprint
        )
    }

    /// Whether the open file is the one `other` describes: same device and inode, and the same first bytes.
    func matches(_ other: FileIdentity, descriptor: Int32) -> Bool {
        device == other.device && inode == other.inode
            && Self.fingerprint(descriptor: descriptor, length: Int(other.fingerprintLength)) == other.fingerprint
    }

    private static func fingerprint(descriptor: Int32, length: Int) -> UInt32? {
        guard length > 0 else { return 0 }
        return SpoolIO.read(from: descriptor, at: 0, count: length).map { CRC32C.checksum($0) }
    }
}
