import LeptonCore

/// Reads InfluxDB line protocol (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/):
///
///     measurement,tag1=v1,tag2=v2 field1=1.5,field2=42i,field3="str",field4=true 1700000000000000000
///
/// The measurement names the event, the tag set gives its tags, and the optional timestamp (in `precision`
/// units) its time. Backslash escapes commas and spaces in the measurement; commas, equals signs and spaces in
/// tag keys, tag values and field keys; double quotes and backslashes in string field values. Two backslashes
/// are one backslash; a backslash before any other character is kept.
struct InfluxParser: Sendable {
    /// Nanoseconds per unit of a line's timestamp.
    let nanosecondsPerUnit: Int64

    init(precision: ParserConfig.Precision) {
        nanosecondsPerUnit = precision.nanosecondsPerUnit
    }

    /// The event of one line; nil for a blank line or a comment (`#` first, after optional whitespace).
    func parse(_ bytes: UnsafeBufferPointer<UInt8>, readTime: Int64) throws(ParseError) -> Event? {
        var position = 0
        while position < bytes.count, ByteText.isBlank(bytes[position]) { position += 1 }
        guard position < bytes.count, bytes[position] != ByteText.hash else { return nil }

        let measurementStart = position
        let measurement = Self.readName(bytes, &position, equalsIsSpecial: false)
        if measurement.isEmpty { throw ParseError.at(measurementStart, in: bytes, "missing measurement name") }

        var tags = Tags()
        while position < bytes.count, bytes[position] == ByteText.comma {
            position += 1
            let keyStart = position
            let key = Self.readName(bytes, &position, equalsIsSpecial: true)
            if key.isEmpty { throw ParseError.at(keyStart, in: bytes, "missing tag key", found: true) }
            guard position < bytes.count, bytes[position] == ByteText.equals else {
                throw ParseError.at(
                    position,
                    in: bytes,
                    "expected '=' after tag key \(ByteText.quoted(key))",
                    found: true
                )
            }
            position += 1
            let valueStart = position
            let value = Self.readName(bytes, &position, equalsIsSpecial: true)
            if position < bytes.count, bytes[position] == ByteText.equals {
                throw ParseError.at(position, in: bytes, "unescaped '=' in the value of tag \(ByteText.quoted(key))")
            }
            if value.isEmpty {
                throw ParseError.at(valueStart, in: bytes, "missing value for tag \(ByteText.quoted(key))", found: true)
            }
            if tags[key] != nil { throw ParseError.at(keyStart, in: bytes, "duplicate tag \(ByteText.quoted(key))") }
            tags[key] = value
        }

        guard position < bytes.count else {
            throw ParseError.at(position, in: bytes, "missing fields; a line needs at least one field like value=1")
        }
        position = Self.skipSpaces(bytes, position)
        guard position < bytes.count else {
            throw ParseError.at(position, in: bytes, "missing fields; a line needs at least one field like value=1")
        }

        var fields: [Event.Field] = []
        while true {
            let keyStart = position
            let key = Self.readName(bytes, &position, equalsIsSpecial: true)
            if key.isEmpty { throw ParseError.at(keyStart, in: bytes, "missing field key", found: true) }
            guard position < bytes.count, bytes[position] == ByteText.equals else {
                throw ParseError.at(
                    position,
                    in: bytes,
                    "expected '=' after field key \(ByteText.quoted(key))",
                    found: true
                )
            }
            position += 1
            let value = try Self.readFieldValue(bytes, &position, key: key)
            if fields.contains(where: { $0.name == key }) {
                throw ParseError.at(keyStart, in: bytes, "duplicate field \(ByteText.quoted(key))")
            }
            fields.append(Event.Field(key, value))
            guard position < bytes.count else { break }
            if bytes[position] == ByteText.comma {
                position += 1
                continue
            }
            guard bytes[position] == ByteText.space else {
                throw ParseError.at(
                    position,
                    in: bytes,
                    "expected ',' or a space after the value of field \(ByteText.quoted(key))",
                    found: true
                )
            }
            break
        }

        var timestamp = readTime
        position = Self.skipSpaces(bytes, position)
        if position < bytes.count {
            let start = position
            while position < bytes.count, bytes[position] != ByteText.space { position += 1 }
            guard let value = DecimalNumber.integer(bytes, start..<position) else {
                throw ParseError.at(
                    start,
                    in: bytes,
                    "invalid timestamp \(ByteText.quoted(bytes, start..<position)); expected a whole number"
                )
            }
            let (scaled, overflow) = value.multipliedReportingOverflow(by: nanosecondsPerUnit)
            if overflow { throw ParseError.at(start, in: bytes, "timestamp is \(TimestampParser.outOfRange)") }
            timestamp = scaled
            position = Self.skipSpaces(bytes, position)
            if position < bytes.count {
                throw ParseError.at(position, in: bytes, "unexpected text after the timestamp", found: true)
            }
        }
        return Event(name: measurement, timestamp: timestamp, tags: tags, fields: fields)
    }

    private static func skipSpaces(_ bytes: UnsafeBufferPointer<UInt8>, _ position: Int) -> Int {
        var position = position
        while position < bytes.count, bytes[position] == ByteText.space { position += 1 }
        return position
    }

    /// Whether a backslash before `byte` escapes it: comma, space and backslash always; `=` in keys and tag values.
    private static func isEscapable(_ byte: UInt8, equalsIsSpecial: Bool) -> Bool {
        byte == ByteText.comma || byte == ByteText.space || byte == ByteText.backslash
            || (equalsIsSpecial && byte == ByteText.equals)
    }

    /// A measurement (`equalsIsSpecial` false), tag key, tag value or field key, up to the first unescaped comma,
    /// space or (`equalsIsSpecial`) equals sign, unescaped.
    private static func readName(
        _ bytes: UnsafeBufferPointer<UInt8>,
        _ position: inout Int,
        equalsIsSpecial: Bool
    ) -> String {
        let start = position
        var escaped = false
        while position < bytes.count {
            let byte = bytes[position]
            if byte == ByteText.backslash, position + 1 < bytes.count,
                isEscapable(bytes[position + 1], equalsIsSpecial: equalsIsSpecial)
            {
                escaped = true
                position += 2
                continue
            }
            if byte == ByteText.comma || byte == ByteText.space || (equalsIsSpecial && byte == ByteText.equals) {
                break
            }
            position += 1
        }
        guard escaped else { return ByteText.string(bytes, start..<position) }
        var text: [UInt8] = []
        text.reserveCapacity(position - start)
        var index = start
        while index < position {
            if bytes[index] == ByteText.backslash, index + 1 < position,
                isEscapable(bytes[index + 1], equalsIsSpecial: equalsIsSpecial)
            {
                index += 1
            }
            text.append(bytes[index])
            index += 1
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A field value: a string in double quotes, `12i`, `12u`, a boolean or a float.
    private static func readFieldValue(
        _ bytes: UnsafeBufferPointer<UInt8>,
        _ position: inout Int,
        key: String
    ) throws(ParseError) -> FieldValue {
        if position < bytes.count, bytes[position] == ByteText.quote {
            let text = try readString(bytes, &position, key: key)
            return .text(text)
        }
        let start = position
        while position < bytes.count, bytes[position] != ByteText.comma, bytes[position] != ByteText.space {
            position += 1
        }
        let range = start..<position
        if range.isEmpty { throw ParseError.at(start, in: bytes, "missing value for field \(ByteText.quoted(key))") }
        switch bytes[range.upperBound - 1] {
        case 0x69:  // i
            guard let value = DecimalNumber.integer(bytes, start..<(range.upperBound - 1)) else {
                throw ParseError.at(
                    start,
                    in: bytes,
                    "invalid integer \(ByteText.quoted(bytes, range)) for field \(ByteText.quoted(key)); "
                        + "expected -9223372036854775808i to 9223372036854775807i"
                )
            }
            return .number(Double(value))
        case 0x75:  // u
            guard let value = DecimalNumber.unsignedInteger(bytes, start..<(range.upperBound - 1)) else {
                throw ParseError.at(
                    start,
                    in: bytes,
                    "invalid unsigned integer \(ByteText.quoted(bytes, range)) for field \(ByteText.quoted(key)); "
                        + "expected 0u to 18446744073709551615u"
                )
            }
            return .number(Double(value))
        default:
            break
        }
        let first = bytes[start] | 0x20
        if first == 0x74 || first == 0x66 {  // t, f
            switch ByteText.string(bytes, range) {
            case "t", "T", "true", "True", "TRUE": return .bool(true)
            case "f", "F", "false", "False", "FALSE": return .bool(false)
            default: break
            }
        }
        guard let value = DecimalNumber.parse(bytes, range) else {
            throw ParseError.at(
                start,
                in: bytes,
                "invalid value \(ByteText.quoted(bytes, range)) for field \(ByteText.quoted(key)); expected a number, "
                    + "an integer like 1i or 1u, true, false or a string in double quotes"
            )
        }
        return .number(value)
    }

    /// A string field value at the opening quote; `\"` and `\\` are escapes.
    private static func readString(
        _ bytes: UnsafeBufferPointer<UInt8>,
        _ position: inout Int,
        key: String
    ) throws(ParseError) -> String {
        let open = position
        let isEscaped: (UInt8) -> Bool = { $0 == ByteText.quote || $0 == ByteText.backslash }
        guard let (range, escaped) = ByteText.scanQuoted(bytes, &position, escapes: isEscaped) else {
            throw ParseError.at(open, in: bytes, "unterminated string value of field \(ByteText.quoted(key))")
        }
        let (start, end) = (range.lowerBound, range.upperBound)
        guard escaped else { return ByteText.string(bytes, start..<end) }
        var text: [UInt8] = []
        text.reserveCapacity(end - start)
        var index = start
        while index < end {
            if bytes[index] == ByteText.backslash, index + 1 < end, isEscaped(bytes[index + 1]) {
                index += 1
            }
            text.append(bytes[index])
            index += 1
        }
        return String(decoding: text, as: UTF8.self)
    }
}
