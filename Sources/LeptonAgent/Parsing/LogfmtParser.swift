/// Reads `logfmt` lines: `key=value key2="quoted \"value\"" flag`, pairs separated by spaces or tabs.
///
/// A key without `=` is the boolean true; `key=` (an empty value) is left out. In quoted values `\"`, `\\`,
/// `\n`, `\r` and `\t` are escapes; any other backslash is kept as it is.
enum LogfmtParser {
    /// The event of one line; nil for a blank line.
    static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>,
        rules: FieldRules,
        name: String,
        readTime: Int64
    ) throws(ParseError) -> Event? {
        var builder = EventBuilder(rules: rules)
        var position = 0
        var pairs = 0
        while true {
            while position < bytes.count, ByteText.isBlank(bytes[position]) { position += 1 }
            guard position < bytes.count else { break }
            pairs += 1
            let keyStart = position
            while position < bytes.count {
                let byte = bytes[position]
                if ByteText.isBlank(byte) || byte == ByteText.equals { break }
                if byte == ByteText.quote { throw ParseError.at(position, in: bytes, "unexpected '\"' in a key") }
                position += 1
            }
            if position == keyStart { throw ParseError.at(keyStart, in: bytes, "expected a key before '='") }
            let key = ByteText.string(bytes, keyStart..<position)
            guard position < bytes.count, bytes[position] == ByteText.equals else {
                builder.add(key, bool: true)
                continue
            }
            position += 1
            if position < bytes.count, bytes[position] == ByteText.quote {
                try readQuoted(bytes, &position, key: key, into: &builder)
            } else {
                let start = position
                while position < bytes.count, !ByteText.isBlank(bytes[position]) {
                    if bytes[position] == ByteText.quote {
                        throw ParseError.at(
                            position,
                            in: bytes,
                            "unexpected '\"' in the value of \(ByteText.quoted(key)); quote the whole value"
                        )
                    }
                    position += 1
                }
                builder.add(key, inferred: bytes, start..<position)
            }
        }
        guard pairs > 0 else { return nil }
        return try builder.event(name: name, readTime: readTime)
    }

    /// The quoted value starting at `position` (on the opening quote), added as `key`.
    private static func readQuoted(
        _ bytes: UnsafeBufferPointer<UInt8>,
        _ position: inout Int,
        key: String,
        into builder: inout EventBuilder
    ) throws(ParseError) {
        let open = position
        guard let (range, escaped) = ByteText.scanQuoted(bytes, &position, escapes: { _ in true }) else {
            throw ParseError.at(open, in: bytes, "unterminated quoted value of \(ByteText.quoted(key))")
        }
        if position < bytes.count, !ByteText.isBlank(bytes[position]) {
            throw ParseError.at(
                position,
                in: bytes,
                "expected a space after the quoted value of \(ByteText.quoted(key))",
                found: true
            )
        }
        guard escaped else {
            builder.add(key, inferred: bytes, range)
            return
        }
        let text = unescape(bytes, range)
        text.withUnsafeBufferPointer { builder.add(key, inferred: $0, 0..<$0.count) }
    }

    private static func unescape(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(range.count)
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            guard byte == ByteText.backslash, index + 1 < range.upperBound else {
                text.append(byte)
                index += 1
                continue
            }
            switch bytes[index + 1] {
            case ByteText.quote, ByteText.backslash: text.append(bytes[index + 1])
            case 0x6E: text.append(ByteText.newline)
            case 0x72: text.append(ByteText.carriageReturn)
            case 0x74: text.append(ByteText.tab)
            default: text.append(contentsOf: [byte, bytes[index + 1]])
            }
            index += 2
        }
        return text
    }
}
