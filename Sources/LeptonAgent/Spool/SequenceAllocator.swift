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

/// Hands out numbers that keep rising across restarts: the wire `sequence` numbers the collector deduplicates on
/// (`state_dir/sequence`), and the spool's batch ids (`spool/ids`).
///
/// Numbers are reserved in blocks: the end of the current block is written (and fsynced) to the file before any
/// number of the block is used, so a crash can only skip numbers, never reuse one. The collector keys
/// exactly-once on (agent, sequence), so reusing a sequence number would lose data. The file is a
/// ``SpoolStateFile``, rewritten in place: reserving needs no new disk block, so sending goes on when the disk is
/// full. (Versions before it wrote the number alone, as text; such a file is still read.)
///
/// A file lost or damaged costs nothing either: the spool moves its allocators past every number it still knows
/// of (batches held, hand-offs noted, tail checkpoints), and the shipper past the collector's high-water mark
/// before it sends anything.
struct SequenceAllocator {
    static let blockSize: UInt64 = 4096
    private let file: SpoolStateFile
    private var next: UInt64
    private var reservedUpTo: UInt64

    /// Opens `directory/name`; without a number there, numbering starts at `start`.
    init(directory: String, name: String, start: UInt64 = 1) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = PathText.appending(name, to: directory)
        let existed = FileManager.default.fileExists(atPath: path)
        let legacy = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { UInt64($0.trimmingWhitespace) }
        file = try SpoolStateFile(path: path)
        if !existed { SpoolIO.syncDirectory(directory) }
        let first = max(file.read().flatMap { UInt64($0) } ?? legacy ?? start, 1)
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
            try file.write("\(end)")
        } catch {
            throw AgentError("cannot reserve numbers: \(error)")
        }
        reservedUpTo = end
    }

    func close() {
        file.close()
    }
}

/// An agent-side failure worth a clear message (state files, sources).
public struct AgentError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
