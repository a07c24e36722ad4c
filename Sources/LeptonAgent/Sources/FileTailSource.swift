import Foundation
import LeptonCore
import Logging

/// Follows one file like `tail -F`: reads appended lines; after a rename rotation (another file at the path)
/// finishes the old file before opening the new one; after a truncation in place (copytruncate) starts again
/// from the top. A truncation is seen by the size going below the read position or by the first bytes changing
/// (checked before every read), so a file truncated and refilled between two polls is not mistaken for more of
/// the same file.
///
/// Every record carries the offset just past its line, so each spooled batch holds a checkpoint. At startup the
/// source resumes from the newest checkpoint: in the same file if it is still at the path (same device, inode
/// and first-bytes fingerprint), else in the rotated file found next to it, which is read to its end first.
struct FileTailSource: Source {
    let name: String
    let path: String
    let lines: LineSettings
    let startAt: StartPosition
    /// The checkpoint to resume from (the spool's newest for this source).
    let resume: @Sendable () async -> TailCheckpoint?
    let metrics: AgentMetrics
    let logger: Logger
    var pollInterval: Duration = .milliseconds(200)
    var chunkBytes = 256 * 1024

    private struct OpenFile {
        var descriptor: Int32
        var identity: FileIdentity
        var offset: Int64 = 0
        /// Another file now has the path; this one is read to its end once more, then closed.
        var rotated = false
    }

    func run(into output: EventOutput) async throws {
        var reader = lines.reader(source: name, metrics: metrics, logger: logger)
        var file = await resumeFile()
        var missingLogged = false
        var buffer = [UInt8](repeating: 0, count: chunkBytes)
        defer { if let file { close(file.descriptor) } }

        while !Task.isCancelled {
            guard var current = file else {
                file = Self.open(path)
                if file == nil {
                    if !missingLogged {
                        logger.warning("waiting for file", metadata: ["source": "\(name)", "path": "\(path)"])
                        missingLogged = true
                    }
                    try await Task.sleep(for: pollInterval)
                } else if missingLogged {
                    logger.info("file appeared", metadata: ["source": "\(name)", "path": "\(path)"])
                    missingLogged = false
                }
                continue
            }
            if current.offset > 0, Self.wasTruncated(current) {
                // Truncated in place (copytruncate), perhaps already refilled past where we were: the first
                // bytes are not the ones we fingerprinted. Start again from the top.
                logger.info(
                    "file truncated, reading from the start",
                    metadata: ["source": "\(name)", "path": "\(path)"]
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
                await output.emit(
                    events,
                    positions: FilePositions(file: current.identity, endOffsets: reader.eventEnds)
                )
                continue
            }
            if count < 0 && errno != EINTR {
                logger.warning(
                    "read failed, reopening",
                    metadata: ["source": "\(name)", "path": "\(path)", "error": "\(String(cString: strerror(errno)))"]
                )
                close(current.descriptor)
                file = nil
                try await Task.sleep(for: pollInterval)
                continue
            }
            // At the end of what is written: has the file been rotated (another file at the path)?
            var status = stat()
            if stat(path, &status) == 0 {
                if UInt64(status.st_dev) != current.identity.device || UInt64(status.st_ino) != current.identity.inode {
                    if !current.rotated {
                        // A writer may still have appended to the old file since the read above.
                        current.rotated = true
                        file = current
                        continue
                    }
                    logger.info("file rotated", metadata: ["source": "\(name)", "path": "\(path)"])
                    await finishLine(&reader, file: current, output: output)
                    close(current.descriptor)
                    file = nil
                    continue
                }
            }
            // Nothing new: a multi-line record that waited long enough goes out as it is.
            let expired = reader.expire()
            await output.emit(expired, positions: FilePositions(file: current.identity, endOffsets: reader.eventEnds))
            try await Task.sleep(for: pollInterval)
        }
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
        await output.emit(events, positions: FilePositions(file: file.identity, endOffsets: reader.eventEnds))
    }

    /// Where to start: the checkpointed file and offset if it can be found, else the file at the path (from its
    /// beginning, or its end when `start_at: end` and nothing was ever read).
    private func resumeFile() async -> OpenFile? {
        guard let checkpoint = await resume() else {
            guard var file = Self.open(path) else { return nil }
            if startAt == .end, let size = SpoolIO.fileSize(file.descriptor) { file.offset = Int64(size) }
            return file
        }
        if var file = Self.open(path) {
            if file.identity.matches(checkpoint.file, descriptor: file.descriptor) {
                let size = Int64(SpoolIO.fileSize(file.descriptor) ?? 0)
                file.offset = checkpoint.offset <= size ? checkpoint.offset : 0
                logger.info(
                    "resuming file",
                    metadata: ["source": "\(name)", "path": "\(path)", "offset": "\(file.offset)"]
                )
                return file
            }
            close(file.descriptor)
        }
        if var rotated = findRotated(checkpoint.file) {
            rotated.file.offset = checkpoint.offset
            rotated.file.rotated = true
            logger.info(
                "resuming rotated file before the new one",
                metadata: ["source": "\(name)", "path": "\(rotated.path)", "offset": "\(checkpoint.offset)"]
            )
            return rotated.file
        }
        logger.warning(
            "file read last time is gone; starting the file at the path from its beginning",
            metadata: ["source": "\(name)", "path": "\(path)"]
        )
        return Self.open(path)
    }

    /// The checkpointed file under another name in the same directory (rotated while the agent was stopped).
    private func findRotated(_ identity: FileIdentity) -> (path: String, file: OpenFile)? {
        let directory = (path as NSString).deletingLastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        for name in names {
            let candidate = (directory as NSString).appendingPathComponent(name)
            var status = stat()
            guard stat(candidate, &status) == 0, UInt64(status.st_ino) == identity.inode,
                UInt64(status.st_dev) == identity.device, let file = Self.open(candidate)
            else { continue }
            if file.identity.matches(identity, descriptor: file.descriptor) { return (candidate, file) }
            close(file.descriptor)
        }
        return nil
    }

    private static func open(_ path: String) -> OpenFile? {
        let descriptor = Foundation.open(path, O_RDONLY | O_CLOEXEC)
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
