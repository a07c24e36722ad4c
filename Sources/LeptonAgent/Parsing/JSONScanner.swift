/// A strict JSON reader (RFC 8259) over UTF-8 bytes that flattens objects into an ``EventBuilder``'s fields:
/// `{"a":{"b":1},"c":[true,null]}` gives `a.b` = 1 and `c.0` = true (null values are left out).
///
/// Syntax errors throw and name the column; problems with a value (a bad type, a bad timestamp) go to the
/// builder, so the scanner always reaches the end of the object it started.
struct JSONScanner {
    /// How deep objects and arrays may nest; the top-level object is level 1.
    static let maxDepth = 32

    let bytes: UnsafeBufferPointer<UInt8>
    /// The offset of the next byte to read.
    var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    // MARK: - Records

    /// One JSON line: a single object, or nil for a blank line.
    static func parseLine(
        _ bytes: UnsafeBufferPointer<UInt8>,
        rules: FieldRules,
        name: String,
        readTime: Int64
    ) throws(ParseError) -> Event? {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        guard let first = scanner.peek else { return nil }
        guard first == Byte.openBrace else {
            throw ParseError.at(scanner.position, in: bytes, "expected a JSON object starting with '{'", found: true)
        }
        var builder = EventBuilder(rules: rules)
        try scanner.readObject(prefix: "", depth: 1, into: &builder)
        scanner.skipWhitespace()
        if !scanner.atEnd {
            throw ParseError.at(scanner.position, in: bytes, "unexpected text after the JSON object", found: true)
        }
        return try builder.event(name: name, readTime: readTime)
    }

    /// A command's whole output: JSON values one after another (usually one), each an object (one event) or an
    /// array of objects (one event each). A syntax error ends the reading; events before it are kept.
    static func parseDocument(
        _ bytes: UnsafeBufferPointer<UInt8>,
        rules: FieldRules,
        name: String,
        readTime: Int64,
        events: inout [Event],
        errors: inout [ParseError]
    ) {
        var scanner = JSONScanner(bytes)
        func readEvent() throws(ParseError) {
            var builder = EventBuilder(rules: rules)
            try scanner.readObject(prefix: "", depth: 1, into: &builder)
            switch builder.result(name: name, readTime: readTime) {
            case .success(let event): events.append(event)
            case .failure(let error): errors.append(error)
            }
        }
        do throws(ParseError) {
            while true {
                scanner.skipWhitespace()
                guard let first = scanner.peek else { return }
                if first == Byte.openBrace {
                    try readEvent()
                    continue
                }
                guard first == Byte.openBracket else {
                    throw ParseError.at(
                        scanner.position,
                        in: bytes,
                        "expected a JSON object or an array of objects",
                        found: true
                    )
                }
                scanner.position += 1
                scanner.skipWhitespace()
                if scanner.peek == Byte.closeBracket {
                    scanner.position += 1
                    continue
                }
                while true {
                    scanner.skipWhitespace()
                    if scanner.peek == Byte.openBrace {
                        try readEvent()
                    } else {
                        let start = scanner.position
                        var ignored = EventBuilder(rules: .none)
                        try scanner.readValue(name: "", depth: 1, into: &ignored)
                        errors.append(ParseError.at(start, in: bytes, "expected an object in the array", found: true))
                    }
                    scanner.skipWhitespace()
                    guard let next = scanner.peek, next == ByteText.comma || next == Byte.closeBracket else {
                        throw ParseError.at(
                            scanner.position,
                            in: bytes,
                            "expected ',' or ']' in the array",
                            found: true
                        )
                    }
                    scanner.position += 1
                    if next == Byte.closeBracket { break }
                }
            }
        } catch {
            errors.append(error)
        }
    }

    // MARK: - Values

    var atEnd: Bool { position >= bytes.count }

    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while position < bytes.count, ByteText.isWhitespace(bytes[position]) { position += 1 }
    }

    private func fieldName(_ prefix: String, _ key: String) -> String {
        prefix.isEmpty ? key : prefix + "." + key
    }

    /// Steps into the object or array whose opening byte is at the current position; false when it is empty (its
    /// `closing` byte is then consumed too).
    private mutating func enter(closingWith closing: UInt8, depth: Int) throws(ParseError) -> Bool {
        if depth > Self.maxDepth {
            throw ParseError.at(
                position,
                in: bytes,
                "objects and arrays are nested deeper than \(Self.maxDepth) levels"
            )
        }
        position += 1
        skipWhitespace()
        guard peek == closing else { return true }
        position += 1
        return false
    }

    /// The object at the current `{`; its keys are added below `prefix`.
    private mutating func readObject(prefix: String, depth: Int, into builder: inout EventBuilder) throws(ParseError) {
        guard try enter(closingWith: Byte.closeBrace, depth: depth) else { return }
        while true {
            skipWhitespace()
            guard peek == ByteText.quote else {
                throw ParseError.at(position, in: bytes, "expected a key in double quotes", found: true)
            }
            let keyStart = position
            let key = try readString()
            if key.isEmpty { builder.fail(ParseError.at(keyStart, in: bytes, "empty key")) }
            skipWhitespace()
            guard peek == ByteText.colon else {
                throw ParseError.at(
                    position,
                    in: bytes,
                    "expected ':' after the key \(ByteText.quoted(key))",
                    found: true
                )
            }
            position += 1
            skipWhitespace()
            let name = fieldName(prefix, key)
            try readValue(name: name, depth: depth, into: &builder)
            skipWhitespace()
            guard let next = peek, next == ByteText.comma || next == Byte.closeBrace else {
                throw ParseError.at(
                    position,
                    in: bytes,
                    "expected ',' or '}' after the value of \(ByteText.quoted(name))",
                    found: true
                )
            }
            position += 1
            if next == Byte.closeBrace { return }
        }
    }

    /// The array at the current `[`; its items are added as `prefix.0`, `prefix.1`, ...
    private mutating func readArray(prefix: String, depth: Int, into builder: inout EventBuilder) throws(ParseError) {
        guard try enter(closingWith: Byte.closeBracket, depth: depth) else { return }
        var index = 0
        while true {
            skipWhitespace()
            let name = fieldName(prefix, String(index))
            try readValue(name: name, depth: depth, into: &builder)
            skipWhitespace()
            guard let next = peek, next == ByteText.comma || next == Byte.closeBracket else {
                throw ParseError.at(
                    position,
                    in: bytes,
                    "expected ',' or ']' after the value of \(ByteText.quoted(name))",
                    found: true
                )
            }
            position += 1
            if next == Byte.closeBracket { return }
            index += 1
        }
    }

    /// The value at the current position, inside a container at `depth`, added to `builder` as `name`.
    private mutating func readValue(name: String, depth: Int, into builder: inout EventBuilder) throws(ParseError) {
        guard let byte = peek else {
            throw ParseError.at(position, in: bytes, "expected a value for \(ByteText.quoted(name))", found: true)
        }
        switch byte {
        case Byte.openBrace:
            try readObject(prefix: name, depth: depth + 1, into: &builder)
        case Byte.openBracket:
            try readArray(prefix: name, depth: depth + 1, into: &builder)
        case ByteText.quote:
            let text = try readString()
            builder.add(name, string: text)
        case Byte.lowercaseT:
            try readLiteral("true")
            builder.add(name, bool: true)
        case Byte.lowercaseF:
            try readLiteral("false")
            builder.add(name, bool: false)
        case Byte.lowercaseN:
            try readLiteral("null")
        case ByteText.minus, ByteText.zero...Byte.nine:
            let start = position
            let number = try readNumber()
            builder.add(name, number: number, literal: bytes, start..<position)
        default:
            throw ParseError.at(
                position,
                in: bytes,
                "expected a value (object, array, string, number, true, false or null) for \(ByteText.quoted(name))",
                found: true
            )
        }
    }

    private mutating func readLiteral(_ word: StaticString) throws(ParseError) {
        let count = word.utf8CodeUnitCount
        let matches =
            bytes.count - position >= count
            && (0..<count).allSatisfy { bytes[position + $0] == word.utf8Start[$0] }
        guard matches else {
            throw ParseError.at(position, in: bytes, "invalid literal; expected true, false or null")
        }
        position += count
    }

    /// A number per the JSON grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    private mutating func readNumber() throws(ParseError) -> Double {
        let start = position
        if peek == ByteText.minus { position += 1 }
        guard let first = peek, ByteText.isDigit(first) else {
            throw ParseError.at(position, in: bytes, "invalid number: expected a digit", found: true)
        }
        position += 1
        if first == ByteText.zero, let next = peek, ByteText.isDigit(next) {
            throw ParseError.at(start, in: bytes, "invalid number: leading zeros are not allowed")
        }
        skipDigits()
        if peek == ByteText.dot {
            position += 1
            guard let next = peek, ByteText.isDigit(next) else {
                throw ParseError.at(position, in: bytes, "invalid number: expected a digit after '.'", found: true)
            }
            skipDigits()
        }
        if let marker = peek, ByteText.isExponentMarker(marker) {
            position += 1
            if peek == ByteText.plus || peek == ByteText.minus { position += 1 }
            guard let next = peek, ByteText.isDigit(next) else {
                throw ParseError.at(
                    position,
                    in: bytes,
                    "invalid number: expected a digit in the exponent",
                    found: true
                )
            }
            skipDigits()
        }
        let value = DecimalNumber.value(bytes, start..<position)
        if !value.isFinite { throw ParseError.at(start, in: bytes, "number out of range") }
        return value
    }

    private mutating func skipDigits() {
        while position < bytes.count, ByteText.isDigit(bytes[position]) { position += 1 }
    }

    /// The bytes JSON's grammar needs beyond ``ByteText``'s.
    enum Byte {
        static let openBrace: UInt8 = 0x7B
        static let closeBrace: UInt8 = 0x7D
        static let openBracket: UInt8 = 0x5B
        static let closeBracket: UInt8 = 0x5D
        static let nine: UInt8 = 0x39
        static let lowercaseB: UInt8 = 0x62
        static let lowercaseF: UInt8 = 0x66
        static let lowercaseN: UInt8 = 0x6E
        static let lowercaseR: UInt8 = 0x72
        static let lowercaseT: UInt8 = 0x74
        static let lowercaseU: UInt8 = 0x75
    }
}
