import Foundation
import LeptonCore

/// A small spool state file (`sent`, `head`, `checkpoint`) rewritten in place: one line of text padded to a
/// fixed 128 bytes and ending in its CRC-32C. Updating it never needs a new disk block, so it works on a full
/// disk (where writing a new file and renaming it would fail), and a torn write is detected by the checksum.
struct SpoolStateFile {
    static let size = 128
    let path: String
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw AgentError("cannot open spool state file \(path): \(SpoolIO.reason())") }
    }

    /// The text last written, or nil when the file is new, damaged or from another format.
    func read() -> String? {
        guard let bytes = SpoolIO.read(from: descriptor, at: 0, count: Self.size), bytes.last == 0x0A else {
            return nil
        }
        let line = String(decoding: bytes.dropLast(), as: UTF8.self).trimmingCharacters(in: .whitespaces)
        guard let space = line.lastIndex(of: " "), let stored = UInt32(line[line.index(after: space)...], radix: 16)
        else {
            return nil
        }
        let text = String(line[..<space])
        return CRC32C.checksum(Array(text.utf8)) == stored ? text : nil
    }

    /// Replaces the content with `text` (one line, at most 110 bytes), flushed to disk unless `sync` is false
    /// (the `sent` mark, updated on every send, leaves that to the kernel).
    func write(_ text: String, sync: Bool = true) throws {
        var line = Array("\(text) \(String(CRC32C.checksum(Array(text.utf8)), radix: 16))".utf8)
        precondition(line.count < Self.size, "spool state text too long: \(text)")
        line += [UInt8](repeating: 0x20, count: Self.size - 1 - line.count) + [0x0A]
        guard line.withUnsafeBytes({ SpoolIO.write($0, to: descriptor, at: 0) }), !sync || fdatasync(descriptor) == 0
        else {
            throw AgentError("cannot write spool state file \(path): \(SpoolIO.reason())")
        }
    }

    func close() {
        Foundation.close(descriptor)
    }
}
