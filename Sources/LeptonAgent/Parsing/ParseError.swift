/// Why a line could not be turned into an event, in words an operator understands: `expected '=' after field
/// key 'temp' at column 12, found the end of the line`.
struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
    var message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }

    /// An error about the byte at `offset` of `bytes`: `message at column N`, followed by `, found X` when `found`
    /// is set. Columns count characters (Unicode scalars) from 1.
    static func at(
        _ offset: Int,
        in bytes: UnsafeBufferPointer<UInt8>,
        _ message: String,
        found: Bool = false
    ) -> ParseError {
        var text = "\(message) at column \(column(of: offset, in: bytes))"
        if found { text += ", found \(ByteText.describe(bytes, at: offset))" }
        return ParseError(text)
    }

    /// The 1-based column of the byte at `offset`, counting Unicode scalars rather than bytes.
    static func column(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var column = 1
        for index in 0..<min(offset, bytes.count) where bytes[index] & 0xC0 != 0x80 {
            column += 1
        }
        return column
    }
}
