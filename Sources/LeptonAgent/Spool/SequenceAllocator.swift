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

/// Hands out batch sequence numbers that keep rising across restarts.
///
/// Numbers are reserved in blocks: the end of the current block is written (and fsynced) to
/// `state_dir/sequence` before any number of the block is used, so a crash can only skip numbers, never
/// reuse one. The collector keys exactly-once on (agent, sequence), so reuse would lose data.
struct SequenceAllocator {
    static let blockSize: UInt64 = 4096
    private let directory: String
    private let path: String
    private var next: UInt64
    private var reservedUpTo: UInt64
    /// Whether no `sequence` file was there: numbering starts at 1, possibly below what the collector holds.
    let startedFresh: Bool

    init(stateDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        directory = stateDirectory
        path = PathText.appending("sequence", to: stateDirectory)
        var start: UInt64 = 1
        startedFresh = !FileManager.default.fileExists(atPath: path)
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            guard let value = UInt64(text.trimmingWhitespace) else {
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
        do {
            try AtomicFileWriter.replace(directory: directory, name: "sequence", contents: "\(end)\n", mode: 0o644)
        } catch {
            throw AgentError("cannot persist the batch sequence: \(error)")
        }
        reservedUpTo = end
    }
}

/// An agent-side failure worth a clear message (state files, sources).
public struct AgentError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
