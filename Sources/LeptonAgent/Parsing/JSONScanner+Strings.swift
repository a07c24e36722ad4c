extension JSONScanner {
    /// The string at the current `"`, unescaped.
    mutating func readString() throws(ParseError) -> String {
        let open = position
        position += 1
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == ByteText.quote {
                let text = ByteText.string(bytes, start..<position)
                position += 1
                return text
            }
            if byte == ByteText.backslash { return try readEscapedString(open: open, start: start) }
            if byte < 0x20 {
                throw ParseError.at(position, in: bytes, "control character in a string; write it as \\u00XX")
            }
            position += 1
        }
        throw ParseError.at(open, in: bytes, "unterminated string")
    }

    /// The rest of a string that has escapes; `bytes[start..<position]` has none.
    private mutating func readEscapedString(open: Int, start: Int) throws(ParseError) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(position - start + 16)
        text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let byte = bytes[position]
            if byte == ByteText.quote {
                position += 1
                return String(decoding: text, as: UTF8.self)
            }
            if byte < 0x20 {
                throw ParseError.at(position, in: bytes, "control character in a string; write it as \\u00XX")
            }
            guard byte == ByteText.backslash else {
                text.append(byte)
                position += 1
                continue
            }
            let escape = position
            position += 1
            guard let kind = peek else { break }
            position += 1
            switch kind {
            case ByteText.quote, ByteText.backslash, ByteText.slash: text.append(kind)
            case Byte.lowercaseB: text.append(0x08)
            case Byte.lowercaseF: text.append(0x0C)
            case Byte.lowercaseN: text.append(ByteText.newline)
            case Byte.lowercaseR: text.append(ByteText.carriageReturn)
            case Byte.lowercaseT: text.append(ByteText.tab)
            case Byte.lowercaseU:
                let scalar = try readUnicodeEscape(at: escape)
                text.append(contentsOf: scalar.utf8)
            default:
                let found = ByteText.describe(bytes, at: escape + 1)
                throw ParseError.at(escape, in: bytes, "invalid escape in a string: a backslash followed by \(found)")
            }
        }
        throw ParseError.at(open, in: bytes, "unterminated string")
    }

    /// The character of a `\uXXXX` escape (the `u` already read), joining a UTF-16 surrogate pair.
    private mutating func readUnicodeEscape(at escape: Int) throws(ParseError) -> Unicode.Scalar {
        let unit = try readHex4(escape)
        switch unit {
        case 0xD800...0xDBFF:
            guard position + 1 < bytes.count, bytes[position] == ByteText.backslash,
                bytes[position + 1] == Byte.lowercaseU
            else {
                throw ParseError.at(
                    escape,
                    in: bytes,
                    "unpaired surrogate \\u\(hex(unit)); a low surrogate must follow"
                )
            }
            let lowEscape = position
            position += 2
            let low = try readHex4(lowEscape)
            guard (0xDC00...0xDFFF).contains(low) else {
                throw ParseError.at(lowEscape, in: bytes, "\\u\(hex(low)) is not a low surrogate after \\u\(hex(unit))")
            }
            let value = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            guard let scalar = Unicode.Scalar(value) else {
                throw ParseError.at(escape, in: bytes, "invalid surrogate pair")
            }
            return scalar
        case 0xDC00...0xDFFF:
            throw ParseError.at(escape, in: bytes, "unpaired low surrogate \\u\(hex(unit))")
        default:
            guard let scalar = Unicode.Scalar(unit) else {
                throw ParseError.at(escape, in: bytes, "invalid \\u escape")
            }
            return scalar
        }
    }

    /// Four hex digits at the current position.
    private mutating func readHex4(_ escape: Int) throws(ParseError) -> UInt32 {
        guard bytes.count - position >= 4 else {
            throw ParseError.at(escape, in: bytes, "invalid \\u escape; expected 4 hex digits")
        }
        var value: UInt32 = 0
        for index in position..<(position + 4) {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case ByteText.zero...Byte.nine: digit = byte - ByteText.zero
            case 0x41...0x46: digit = byte - 0x37
            case 0x61...0x66: digit = byte - 0x57
            default: throw ParseError.at(escape, in: bytes, "invalid \\u escape; expected 4 hex digits")
            }
            value = value << 4 | UInt32(digit)
        }
        position += 4
        return value
    }

    private func hex(_ unit: UInt32) -> String {
        let digits = String(unit, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
