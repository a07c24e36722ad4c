/// Byte-level helpers for the parsers, which read lines as UTF-8 bytes rather than `Character`s.
enum ByteText {
    static let tab: UInt8 = 0x09
    static let newline: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let hash: UInt8 = 0x23
    static let plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F
    static let zero: UInt8 = 0x30
    static let colon: UInt8 = 0x3A
    static let equals: UInt8 = 0x3D
    static let backslash: UInt8 = 0x5C

    /// `0`...`9`.
    static func isDigit(_ byte: UInt8) -> Bool {
        byte &- zero < 10
    }

    /// A space or a tab.
    static func isBlank(_ byte: UInt8) -> Bool {
        byte == space || byte == tab
    }

    /// A space, tab, carriage return or line feed (JSON's whitespace).
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == space || byte == tab || byte == newline || byte == carriageReturn
    }

    /// `e` or `E`.
    static func isExponentMarker(_ byte: UInt8) -> Bool {
        byte | 0x20 == 0x65
    }

    /// The text of `bytes[range]`. Strings of up to 15 bytes are stored inline, without an allocation.
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// `range` without the spaces, tabs, carriage returns and line feeds at either end.
    static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, isWhitespace(bytes[lower]) { lower += 1 }
        while upper > lower, isWhitespace(bytes[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    /// Whether `bytes` holds only whitespace.
    static func isBlankLine(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        trimmed(bytes, 0..<bytes.count).isEmpty
    }

    /// What is at `offset`, for error messages: `'x'` or `the end of the line`.
    static func describe(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> String {
        guard offset < bytes.count else { return "the end of the line" }
        switch bytes[offset] {
        case tab: return "a tab"
        case space: return "a space"
        case 0..<0x20, 0x7F: return "a control character"
        case 0x20..<0x80: return "'\(Character(Unicode.Scalar(bytes[offset])))'"
        default:
            let text = string(bytes, offset..<min(offset + 4, bytes.count))
            return text.unicodeScalars.first.map { "'\($0)'" } ?? "an invalid byte"
        }
    }

    /// `text` in single quotes for error messages, shortened to 40 characters.
    static func quoted(_ text: some StringProtocol) -> String {
        text.count > 40 ? "'\(text.prefix(40))…'" : "'\(text)'"
    }

    /// `bytes[range]` in single quotes for error messages, shortened to 40 characters.
    static func quoted(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        quoted(string(bytes, range.lowerBound..<min(range.upperBound, range.lowerBound + 160)))
    }

    /// The value in double quotes whose opening quote is at `position`: moves `position` past the closing quote and
    /// returns the range between the quotes and whether a backslash escape occurs in it; nil when the line ends
    /// first. A backslash escapes the byte after it when `escapes(thatByte)`.
    static func scanQuoted(
        _ bytes: UnsafeBufferPointer<UInt8>,
        _ position: inout Int,
        escapes: (UInt8) -> Bool
    ) -> (range: Range<Int>, escaped: Bool)? {
        let start = position + 1
        var index = start
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == quote {
                position = index + 1
                return (start..<index, escaped)
            }
            if byte == backslash, index + 1 < bytes.count, escapes(bytes[index + 1]) {
                escaped = true
                index += 2
            } else {
                index += 1
            }
        }
        return nil
    }
}

extension String {
    /// Calls `body` with the string's UTF-8 bytes, made contiguous first (a no-op for native strings).
    func withUTF8Bytes<Value>(
        _ body: (UnsafeBufferPointer<UInt8>) throws(ParseError) -> Value
    ) throws(ParseError) -> Value {
        var text = self
        let outcome = text.withUTF8 { bytes in
            Result<Value, ParseError>(catching: { () throws(ParseError) -> Value in try body(bytes) })
        }
        return try outcome.get()
    }

}
