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

/// `spool/handoffs`: the wire sequence number each batch was given when it was first handed to a connection.
///
/// Batches get their sequence number when they are sent, not when they are spooled, so that the shipper can send
/// an important source's batches before older ones of a less important source while the numbers the collector
/// sees still rise. A batch sent once must keep its number for every resend (the collector deduplicates on it),
/// so the number is written here before the batch goes out.
///
/// One line per hand-off, `SEQUENCE ID CRC`, where CRC is the CRC-32C (hex) of `SEQUENCE ID`; a line whose
/// checksum fails is ignored (its batch would be sent again under a new number: a possible duplicate, never a
/// loss), and a last line cut short by a crash is cut off at open. A line is needed while its batch may still be
/// found in a segment at the next start (acknowledged batches stay in a segment until all of it is): recovered with
/// its number, such a batch is released by the collector's high-water mark instead of being sent again. The
/// others are dropped when the file is rewritten, once they outnumber those needed.
final class HandoffJournal {
    struct Handoff: Hashable, Sendable {
        var sequence: UInt64
        var id: UInt64
    }

    static let name = "handoffs"
    /// The file is rewritten with only the lines still needed once it holds this many more than them.
    static let compactAfter = 4096
    let directory: String
    let path: String
    /// -1 after a rewrite: the new file is opened at the next write.
    private var descriptor: Int32
    private var end: Int
    /// Lines in the file.
    private(set) var lines: Int
    /// Whether written since the last fsync.
    private var dirty = false

    /// Opens (or creates) the journal; `found` receives its intact hand-offs, in the order written. Throws when the
    /// file cannot be read: taking it for empty would send every batch in it again under new numbers.
    init(directory: String, found: inout [Handoff]) throws {
        self.directory = directory
        path = PathText.appending(Self.name, to: directory)
        // A rewrite cut short by a crash leaves its temporary file behind.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix(".\(Self.name).tmp-") { unlink(directory + "/" + name) }
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw AgentError("cannot open \(path): \(SpoolIO.reason())") }
        let size = SpoolIO.fileSize(descriptor) ?? 0
        var bytes: [UInt8] = []
        if size > 0 {
            guard let read = SpoolIO.read(from: descriptor, at: 0, count: size) else {
                let reason = SpoolIO.reason()
                Glibc.close(descriptor)
                throw AgentError("cannot read \(path): \(reason)")
            }
            bytes = read
        }
        // A line cut short by a crash: cut it off, or the next line would be appended to it.
        end = (bytes.lastIndex(of: 0x0A) ?? -1) + 1
        if end < size { _ = ftruncate(descriptor, off_t(end)) }
        found = bytes[..<end].split(separator: 0x0A).compactMap { Self.parse(String(decoding: $0, as: UTF8.self)) }
        lines = bytes[..<end].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    /// Appends a hand-off; flushed to disk first when `sync` is set.
    func record(_ handoff: Handoff, sync: Bool) throws {
        if descriptor < 0 {
            descriptor = open(path, O_RDWR | O_CLOEXEC)
            guard descriptor >= 0 else { throw AgentError("cannot open \(path): \(SpoolIO.reason())") }
            end = SpoolIO.fileSize(descriptor) ?? 0
        }
        let line = Array(Self.line(handoff).utf8)
        guard line.withUnsafeBytes({ SpoolIO.write($0, to: descriptor, at: end) }), !sync || fdatasync(descriptor) == 0
        else {
            let reason = SpoolIO.reason()
            _ = ftruncate(descriptor, off_t(end))
            throw AgentError("cannot write \(path): \(reason)")
        }
        end += line.count
        lines += 1
        dirty = dirty || !sync
    }

    /// Whether a rewrite keeping `needed` lines is due: the lines no longer needed number at least ``compactAfter``
    /// and outnumber the others.
    func wantsCompaction(keeping needed: Int) -> Bool {
        lines - needed >= Self.compactAfter && lines > 2 * needed
    }

    /// Rewrites the file with `needed` only (a new file renamed over it, so a crash leaves one or the other whole).
    func compact(keeping needed: [Handoff]) throws {
        try AtomicFileWriter.replace(
            directory: directory,
            name: Self.name,
            contents: needed.map(Self.line).joined(),
            mode: 0o600
        )
        // The old descriptor points at the replaced file: the next write opens the new one.
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
        lines = needed.count
        dirty = false
    }

    func sync() {
        guard dirty, descriptor >= 0 else { return }
        fdatasync(descriptor)
        dirty = false
    }

    func close() {
        sync()
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    static func line(_ handoff: Handoff) -> String {
        ChecksummedText.line("\(handoff.sequence) \(handoff.id)") + "\n"
    }

    static func parse(_ line: String) -> Handoff? {
        guard let body = ChecksummedText.body(of: Substring(line)) else { return nil }
        let fields = body.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 2, let sequence = UInt64(fields[0]), let id = UInt64(fields[1]), sequence > 0
        else { return nil }
        return Handoff(sequence: sequence, id: id)
    }
}
