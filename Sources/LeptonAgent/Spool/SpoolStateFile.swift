import LeptonCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A small spool state file (`head`, `checkpoint-KEY`) rewritten in place, in two alternating slots of
/// 128 bytes: a generation number, one line of text and its CRC-32C. Updating it never needs a new disk block,
/// so it works on a full disk (where writing a new file and renaming it would fail); a write torn by a power
/// cut spoils only the slot being written, and the other still holds the previous value.
final class SpoolStateFile {
    static let slotSize = 128
    let path: String
    private let descriptor: Int32
    private var generation: UInt64 = 0

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw AgentError("cannot open spool state file \(path): \(SpoolIO.reason())") }
        generation = [0, 1].compactMap { slot(at: $0) }.map(\.generation).max() ?? 0
    }

    /// The text last written, or nil when the file is new or both slots are damaged.
    func read() -> String? {
        [0, 1].compactMap { slot(at: $0) }.max { $0.generation < $1.generation }?.text
    }

    /// Replaces the content with `text` (one line, at most 90 bytes), flushed to disk.
    func write(_ text: String) throws {
        generation += 1
        var line = Array(ChecksummedText.line("\(generation) \(text)").utf8)
        precondition(line.count < Self.slotSize, "spool state text too long: \(text)")
        line += [UInt8](repeating: 0x20, count: Self.slotSize - 1 - line.count) + [0x0A]
        let offset = Int(generation % 2) * Self.slotSize
        guard line.withUnsafeBytes({ SpoolIO.write($0, to: descriptor, at: offset) }),
            fdatasync(descriptor) == 0
        else {
            throw AgentError("cannot write spool state file \(path): \(SpoolIO.reason())")
        }
    }

    func close() {
        Glibc.close(descriptor)
    }

    /// The slot's generation and text, if its checksum holds.
    private func slot(at index: Int) -> (generation: UInt64, text: String)? {
        guard let bytes = SpoolIO.read(from: descriptor, at: index * Self.slotSize, count: Self.slotSize),
            bytes.last == 0x0A
        else { return nil }
        let line = String(decoding: bytes.dropLast(), as: UTF8.self).trimmingWhitespace
        guard let body = ChecksummedText.body(of: Substring(line)), let first = body.firstIndex(of: " "),
            let generation = UInt64(body[..<first])
        else { return nil }
        return (generation, String(body[body.index(after: first)...]))
    }
}
