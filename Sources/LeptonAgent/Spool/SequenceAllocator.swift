import LeptonCore
import LeptonRuntime

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

/// Hands out numbers that keep rising across restarts: the wire `sequence` numbers the collector deduplicates on
/// (`state_dir/sequence`), and the spool's batch ids (`spool/ids`).
///
/// Numbers are reserved in blocks: the end of the current block is written (and fsynced) to the file before any
/// number of the block is used, so a crash can only skip numbers, never reuse one. The collector keys
/// exactly-once on (agent, sequence), so reusing a sequence number would lose data.
struct SequenceAllocator {
    static let blockSize: UInt64 = 4096
    private let directory: String
    private let name: String
    private var next: UInt64
    private var reservedUpTo: UInt64

    /// Opens `directory/name`; without that file, numbering starts at `start`.
    init(directory: String, name: String, start: UInt64 = 1) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        self.name = name
        let path = PathText.appending(name, to: directory)
        var first = max(start, 1)
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            guard let value = UInt64(text.trimmingWhitespace) else {
                throw AgentError("\(path) does not hold a number; remove it only if no batch is pending")
            }
            first = value
        }
        next = first
        reservedUpTo = first
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

    /// Never hand out anything at or below `number` (the collector already holds it, or a batch has it).
    mutating func skip(past number: UInt64) throws {
        guard number >= next else { return }
        next = number + 1
        try reserve(upTo: next + Self.blockSize)
    }

    private mutating func reserve(upTo end: UInt64) throws {
        do {
            try AtomicFileWriter.replace(directory: directory, name: name, contents: "\(end)\n", mode: 0o644)
        } catch {
            throw AgentError("cannot persist \(PathText.appending(name, to: directory)): \(error)")
        }
        reservedUpTo = end
    }
}

/// An agent-side failure worth a clear message (state files, sources).
public struct AgentError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
