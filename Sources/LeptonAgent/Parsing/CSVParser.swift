import LeptonCore

/// Reads `csv` lines: values separated by `delimiter`, quoted per RFC 4180 (`"a ""quoted"" value"`, delimiters
/// inside quotes), named by `columns` or, without them, by the first line (the header).
///
/// A record is one line: a quoted value cannot span lines. A quote inside an unquoted value is taken literally.
struct CSVParser: Sendable {
    let delimiter: UInt8
    /// The `columns` setting; nil when the header comes from the data.
    let columns: [String]?
    /// The names in use: `columns`, or the header once read.
    private(set) var header: [String]?

    init(columns: [String]?, delimiter: Character) {
        self.columns = columns
        self.delimiter = delimiter.asciiValue ?? ByteText.comma
        header = columns
    }

    /// Starts a new document (a command's output), whose first line is again the header when no `columns` are set.
    mutating func resetHeader() {
        header = columns
    }

    /// The event of one line; nil for a blank line, for the header, and for a row equal to the column names (a
    /// header repeated by a rotated file, or present although `columns` are set).
    mutating func parse(
        _ bytes: UnsafeBufferPointer<UInt8>,
        rules: FieldRules,
        name: String,
        readTime: Int64
    ) throws(ParseError) -> Event? {
        if ByteText.isBlankLine(bytes) { return nil }
        guard let header else {
            header = try readHeader(bytes)
            return nil
        }
        var builder = EventBuilder(rules: rules)
        var scanner = CSVValueScanner(bytes: bytes, delimiter: delimiter)
        var count = 0
        var matchesHeader = true
        while let value = try scanner.next() {
            defer { count += 1 }
            guard count < header.count else { continue }
            let column = header[count]
            if value.hasDoubledQuotes {
                let text = Self.unescape(bytes, value.range)
                text.withUnsafeBufferPointer { buffer in
                    if matchesHeader { matchesHeader = column.utf8.elementsEqual(buffer) }
                    builder.add(column, inferred: buffer, 0..<buffer.count)
                }
            } else {
                if matchesHeader {
                    matchesHeader = column.utf8.elementsEqual(UnsafeBufferPointer(rebasing: bytes[value.range]))
                }
                builder.add(column, inferred: bytes, value.range)
            }
        }
        if count != header.count {
            let names = header.prefix(8).joined(separator: ", ") + (header.count > 8 ? ", ..." : "")
            throw ParseError("the row has \(count) values but there are \(header.count) columns (\(names))")
        }
        if matchesHeader { return nil }
        return try builder.event(name: name, readTime: readTime)
    }

    /// The column names of a header line: each non-empty and unique.
    private func readHeader(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> [String] {
        var scanner = CSVValueScanner(bytes: bytes, delimiter: delimiter)
        var names: [String] = []
        while let value = try scanner.next() {
            let name =
                value.hasDoubledQuotes
                ? String(decoding: Self.unescape(bytes, value.range), as: UTF8.self)
                : ByteText.string(bytes, value.range)
            if name.isEmpty {
                throw ParseError.at(
                    value.range.lowerBound,
                    in: bytes,
                    "column \(names.count + 1) of the header has no name"
                )
            }
            if names.contains(name) {
                throw ParseError.at(
                    value.range.lowerBound,
                    in: bytes,
                    "duplicate column \(ByteText.quoted(name)) in the header"
                )
            }
            names.append(name)
        }
        return names
    }

    /// A quoted value's bytes with each `""` turned into `"`.
    private static func unescape(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(range.count)
        var index = range.lowerBound
        while index < range.upperBound {
            text.append(bytes[index])
            index += bytes[index] == ByteText.quote ? 2 : 1
        }
        return text
    }
}

/// Cuts one csv line into values.
struct CSVValueScanner {
    /// One value: `range` excludes the surrounding quotes; `hasDoubledQuotes` when it holds `""` escapes.
    struct Value {
        var range: Range<Int>
        var hasDoubledQuotes: Bool
    }

    let bytes: UnsafeBufferPointer<UInt8>
    let delimiter: UInt8
    private var position = 0
    private var finished = false

    init(bytes: UnsafeBufferPointer<UInt8>, delimiter: UInt8) {
        self.bytes = bytes
        self.delimiter = delimiter
    }

    /// The next value, or nil after the last one. A line ending with the delimiter ends with an empty value.
    mutating func next() throws(ParseError) -> Value? {
        guard !finished else { return nil }
        let value: Value
        if position < bytes.count, bytes[position] == ByteText.quote {
            let open = position
            position += 1
            let start = position
            var doubled = false
            while true {
                guard position < bytes.count else {
                    throw ParseError.at(open, in: bytes, "unterminated quoted value")
                }
                if bytes[position] == ByteText.quote {
                    guard position + 1 < bytes.count, bytes[position + 1] == ByteText.quote else { break }
                    doubled = true
                    position += 2
                } else {
                    position += 1
                }
            }
            value = Value(range: start..<position, hasDoubledQuotes: doubled)
            position += 1
            if position < bytes.count, bytes[position] != delimiter {
                let expected =
                    "expected '\(Character(Unicode.Scalar(delimiter)))' or the end of the line after a quoted value"
                throw ParseError.at(position, in: bytes, expected, found: true)
            }
        } else {
            let start = position
            while position < bytes.count, bytes[position] != delimiter { position += 1 }
            value = Value(range: start..<position, hasDoubledQuotes: false)
        }
        if position < bytes.count {
            position += 1
        } else {
            finished = true
        }
        return value
    }
}
