import LeptonCore

/// Text followed by a space and the CRC-32C (hex) of that text: how the spool's state files and its hand-off journal
/// write a line, so that a damaged or torn one is told apart from a real value.
enum ChecksummedText {
    static func line(_ body: String) -> String {
        "\(body) \(String(CRC32C.checksum(Array(body.utf8)), radix: 16))"
    }

    /// The text before the checksum, if the checksum holds.
    static func body(of line: Substring) -> Substring? {
        guard let space = line.lastIndex(of: " "), let stored = UInt32(line[line.index(after: space)...], radix: 16)
        else { return nil }
        let body = line[..<space]
        return CRC32C.checksum(Array(body.utf8)) == stored ? body : nil
    }
}
