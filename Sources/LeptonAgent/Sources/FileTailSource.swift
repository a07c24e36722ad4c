import Foundation
import LeptonCore
import Logging

/// Follows one file like `tail -F`, from its beginning: reads appended lines, and after a rename rotation
/// (new inode at the path) finishes the old file before opening the new one; after a truncation in place
/// (copytruncate) starts again from the top.
struct FileTailSource: Source {
    let name: String
    let path: String
    let parser: LineParser
    let metrics: AgentMetrics
    let logger: Logger
    var pollInterval: Duration = .milliseconds(200)
    var maxLineBytes = 1 << 20
    var chunkBytes = 256 * 1024

    private struct OpenFile {
        var descriptor: Int32
        var device: UInt64
        var inode: UInt64
        var offset: Int64 = 0
        /// Another file now has the path; this one is read to its end once more, then closed.
        var rotated = false
    }

    func run(into output: RecordOutput) async throws {
        var reader = LineReader(source: name, parser: parser, metrics: metrics, maxLineBytes: maxLineBytes)
        var file: OpenFile?
        var missingLogged = false
        var buffer = [UInt8](repeating: 0, count: chunkBytes)
        defer { if let file { close(file.descriptor) } }

        while !Task.isCancelled {
            guard var current = file else {
                file = openFile()
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
            let count = buffer.withUnsafeMutableBytes { pread(current.descriptor, $0.baseAddress, $0.count, off_t(current.offset)) }
            if count > 0 {
                current.offset += Int64(count)
                file = current
                let records = buffer.withUnsafeBytes { reader.push(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
                await output.emit(records)
                continue
            }
            if count < 0 && errno != EINTR {
                logger.warning("read failed, reopening", metadata: ["source": "\(name)", "path": "\(path)", "error": "\(String(cString: strerror(errno)))"])
                close(current.descriptor)
                file = nil
                try await Task.sleep(for: pollInterval)
                continue
            }
            // At the end of what is written: has the file been rotated or truncated?
            var status = stat()
            if stat(path, &status) == 0 {
                if UInt64(status.st_dev) != current.device || UInt64(status.st_ino) != current.inode {
                    if !current.rotated {
                        // A writer may still have appended to the old file since the read above.
                        current.rotated = true
                        file = current
                        continue
                    }
                    logger.info("file rotated", metadata: ["source": "\(name)", "path": "\(path)"])
                    await output.emit(reader.finish())
                    close(current.descriptor)
                    file = nil
                    continue
                }
                if Int64(status.st_size) < current.offset {
                    logger.info("file truncated, reading from the start", metadata: ["source": "\(name)", "path": "\(path)"])
                    await output.emit(reader.finish())
                    current.offset = 0
                    file = current
                    continue
                }
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    private func openFile() -> OpenFile? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            close(descriptor)
            return nil
        }
        return OpenFile(descriptor: descriptor, device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }
}
