/// A stream's identity written as one string, the way batches carry it: the name, then each tag as
/// `,key=value` in key order, e.g. `cpu.usage,host=edge-17,site=lyon`. A backslash escapes `,` `=` and `\` in
/// the name, keys and values, so any name and tags survive the round trip. A stream without tags whose name has
/// none of those characters is written as its name alone.
///
/// Two keys are equal when their name and tags are the same bytes: canonically equivalent spellings ("é" and
/// "e" + U+0301), which `String`'s `==` equates, stay two streams, so a batch never renames a stream.
public struct SeriesKey: Hashable, Sendable {
    public var stream: String
    public var tags: Tags

    public init(stream: String, tags: Tags = Tags()) {
        self.stream = stream
        self.tags = tags
    }

    public static func == (lhs: SeriesKey, rhs: SeriesKey) -> Bool {
        lhs.stream.hasSameUTF8(as: rhs.stream) && lhs.tags.count == rhs.tags.count
            && zip(lhs.tags, rhs.tags).allSatisfy {
                $0.key.hasSameUTF8(as: $1.key) && $0.value.hasSameUTF8(as: $1.value)
            }
    }

    public func hash(into hasher: inout Hasher) {
        stream.hashUTF8(into: &hasher)
        for tag in tags {
            tag.key.hashUTF8(into: &hasher)
            tag.value.hashUTF8(into: &hasher)
        }
    }

    /// The key as written on the wire and in the store.
    public var text: String {
        if tags.isEmpty, !Self.needsEscaping(stream) { return stream }
        var text = ""
        Self.appendEscaped(stream, to: &text)
        for tag in tags {
            text.append(",")
            Self.appendEscaped(tag.key, to: &text)
            text.append("=")
            Self.appendEscaped(tag.value, to: &text)
        }
        return text
    }

    /// Reads a key written by ``text``; a dangling escape, an empty tag key or a pair without `=` is an error.
    public init(parsing text: String) throws(SeriesKeyError) {
        var parts: [(text: String, endedBy: UInt8?)] = []
        var current: [UInt8] = []
        var escaped = false
        for byte in text.utf8 {
            if escaped {
                current.append(byte)
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "=") {
                parts.append((String(decoding: current, as: UTF8.self), byte))
                current.removeAll(keepingCapacity: true)
            } else {
                current.append(byte)
            }
        }
        if escaped { throw SeriesKeyError("series key '\(text)' ends with a lone backslash") }
        parts.append((String(decoding: current, as: UTF8.self), nil))

        guard parts[0].endedBy != UInt8(ascii: "=") else {
            throw SeriesKeyError("series key '\(text)': unescaped '=' in the stream name")
        }
        var tags = Tags()
        var index = 1
        while index < parts.count {
            let key = parts[index]
            guard key.endedBy == UInt8(ascii: "="), index + 1 < parts.count, !key.text.isEmpty else {
                throw SeriesKeyError("series key '\(text)': tag '\(key.text)' is not key=value")
            }
            let value = parts[index + 1]
            guard value.endedBy != UInt8(ascii: "=") else {
                throw SeriesKeyError("series key '\(text)': unescaped '=' in the value of tag '\(key.text)'")
            }
            tags[key.text] = value.text
            index += 2
        }
        self.init(stream: parts[0].text, tags: tags)
    }

    private static func needsEscaping(_ text: String) -> Bool {
        text.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "\\") }
    }

    private static func appendEscaped(_ part: String, to text: inout String) {
        guard needsEscaping(part) else {
            text.append(part)
            return
        }
        for character in part.unicodeScalars {
            if character == "," || character == "=" || character == "\\" { text.append("\\") }
            text.unicodeScalars.append(character)
        }
    }
}

/// A series key that does not parse.
public struct SeriesKeyError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension Record {
    /// The record's stream name and tags.
    public var series: SeriesKey {
        get { SeriesKey(stream: stream, tags: tags) }
        set {
            stream = newValue.stream
            tags = newValue.tags
        }
    }
}
