import Foundation

/// Hands out batch sequence numbers that keep rising across restarts.
///
/// Numbers are reserved in blocks: the end of the current block is written (and fsynced) to
/// `state_dir/sequence` before any number of the block is used, so a crash can only skip numbers, never
/// reuse one. The collector keys exactly-once on (agent, sequence), so reuse would lose data.
struct SequenceAllocator {
    static let blockSize: UInt64 = 4096
    private let path: String
    private var next: UInt64
    private var reservedUpTo: UInt64

    init(stateDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        path = (stateDirectory as NSString).appendingPathComponent("sequence")
        var start: UInt64 = 1
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            guard let value = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw AgentError("\(path) does not hold a sequence number; remove it only if no batch is pending")
            }
            start = value
        }
        next = start
        reservedUpTo = start
    }

    /// The first number this allocator will hand out.
    var peek: UInt64 { next }

    mutating func allocate() throws -> UInt64 {
        if next >= reservedUpTo {
            try reserve(upTo: next + Self.blockSize)
        }
        defer { next += 1 }
        return next
    }

    /// Never hand out anything at or below `sequence` (the collector already holds it).
    mutating func skip(past sequence: UInt64) throws {
        guard sequence >= next else { return }
        next = sequence + 1
        try reserve(upTo: next + Self.blockSize)
    }

    private mutating func reserve(upTo end: UInt64) throws {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw AgentError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let text = Array("\(end)\n".utf8)
        let written = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == text.count, synced == 0, rename(temporary, path) == 0 else {
            throw AgentError("cannot persist the batch sequence to \(path): \(String(cString: strerror(errno)))")
        }
        // Make the rename itself durable.
        let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
        reservedUpTo = end
    }
}

/// An agent-side failure worth a clear message (state files, sources).
public struct AgentError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
