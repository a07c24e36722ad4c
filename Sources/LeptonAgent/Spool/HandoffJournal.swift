import LeptonCore
import LeptonRuntime

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
/// loss), and a last line cut short by a crash is cut off at open. Lines of acknowledged batches are dropped when
/// the file is rewritten, once they outnumber the others.
final class HandoffJournal {
    struct Handoff: Hashable, Sendable {
        var sequence: UInt64
        var id: UInt64
    }

    static let name = "handoffs"
    /// The file is rewritten with only the live hand-offs once it holds this many lines more than them.
    static let compactAfter = 4096
    let directory: String
    let path: String
    private var descriptor: Int32
    private var end: Int
    /// Lines in the file.
    private(set) var lines: Int
    /// Whether written since the last fsync.
    private var dirty = false

    /// Opens (or creates) the journal; `found` receives its intact hand-offs, in the order written.
    init(directory: String, found: inout [Handoff]) throws {
        self.directory = directory
        path = PathText.appending(Self.name, to: directory)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw AgentError("cannot open \(path): \(SpoolIO.reason())") }
        let size = SpoolIO.fileSize(descriptor) ?? 0
        let bytes = size > 0 ? SpoolIO.read(from: descriptor, at: 0, count: size) ?? [] : []
        // A line cut short by a crash: cut it off, or the next line would be appended to it.
        end = (bytes.lastIndex(of: 0x0A) ?? -1) + 1
        if end < size { _ = ftruncate(descriptor, off_t(end)) }
        found = bytes[..<end].split(separator: 0x0A).compactMap { Self.parse(String(decoding: $0, as: UTF8.self)) }
        lines = bytes[..<end].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    /// Appends a hand-off; flushed to disk first when `sync` is set.
    func record(_ handoff: Handoff, sync: Bool) throws {
        let line = Array(Self.line(handoff).utf8)
        guard line.withUnsafeBytes({ SpoolIO.write($0, to: descriptor, at: end) }) else {
            let reason = SpoolIO.reason()
            _ = ftruncate(descriptor, off_t(end))
            throw AgentError("cannot write \(path): \(reason)")
        }
        end += line.count
        lines += 1
        if sync {
            fdatasync(descriptor)
        } else {
            dirty = true
        }
    }

    /// Rewrites the file with `live` only, when acknowledged lines outnumber them (a new file renamed over it, so a
    /// crash leaves one or the other whole).
    func compact(keeping live: [Handoff]) throws {
        guard lines - live.count >= Self.compactAfter, lines > 2 * live.count else { return }
        try AtomicFileWriter.replace(
            directory: directory,
            name: Self.name,
            contents: live.map(Self.line).joined(),
            mode: 0o600
        )
        let reopened = open(path, O_RDWR | O_CLOEXEC)
        guard reopened >= 0 else { throw AgentError("cannot open \(path): \(SpoolIO.reason())") }
        Glibc.close(descriptor)
        descriptor = reopened
        end = SpoolIO.fileSize(descriptor) ?? 0
        lines = live.count
        dirty = false
    }

    func sync() {
        guard dirty else { return }
        fdatasync(descriptor)
        dirty = false
    }

    func close() {
        sync()
        Glibc.close(descriptor)
    }

    static func line(_ handoff: Handoff) -> String {
        let body = "\(handoff.sequence) \(handoff.id)"
        return "\(body) \(String(CRC32C.checksum(Array(body.utf8)), radix: 16))\n"
    }

    static func parse(_ line: String) -> Handoff? {
        let fields = line.split(separator: " ")
        guard fields.count == 3, let sequence = UInt64(fields[0]), let id = UInt64(fields[1]),
            let stored = UInt32(fields[2], radix: 16),
            CRC32C.checksum(Array("\(fields[0]) \(fields[1])".utf8)) == stored, sequence > 0
        else { return nil }
        return Handoff(sequence: sequence, id: id)
    }
}
