import LeptonCore

/// How text values become field values: guessed from the text by default, or converted as `types:` says.
enum ValueCoercion {
    /// The guessed value of `bytes[range]`: a finite decimal number (spaces around it allowed) becomes a number,
    /// anything else (`true` included) text. Nil for an empty value, which is left out of the event.
    static func infer(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> FieldValue? {
        guard !range.isEmpty else { return nil }
        if let number = DecimalNumber.parse(bytes, ByteText.trimmed(bytes, range)) { return .number(number) }
        return .text(ByteText.string(bytes, range))
    }

    /// `bytes[range]` converted to `type`; nil when it cannot be.
    static func coerce(
        _ bytes: UnsafeBufferPointer<UInt8>,
        _ range: Range<Int>,
        to type: ParserConfig.FieldType
    ) -> FieldValue? {
        switch type {
        case .string:
            return .text(ByteText.string(bytes, range))
        case .float:
            return DecimalNumber.parse(bytes, ByteText.trimmed(bytes, range)).map { .number($0) }
        case .int:
            return DecimalNumber.integer(bytes, ByteText.trimmed(bytes, range)).map { .number(Double($0)) }
        case .bool:
            return bool(bytes, ByteText.trimmed(bytes, range)).map { .bool($0) }
        }
    }

    /// A JSON number converted to `type`; `literal` is its text. Nil when it cannot be.
    static func coerce(
        number: Double,
        literal bytes: UnsafeBufferPointer<UInt8>,
        _ range: Range<Int>,
        to type: ParserConfig.FieldType
    ) -> FieldValue? {
        switch type {
        case .string: return .text(ByteText.string(bytes, range))
        case .float: return .number(number)
        case .int: return number == number.rounded(.towardZero) ? .number(number) : nil
        case .bool:
            switch number {
            case 0: return .bool(false)
            case 1: return .bool(true)
            default: return nil
            }
        }
    }

    /// A boolean (JSON `true`/`false`, a bare logfmt key) converted to `type`.
    static func coerce(bool: Bool, to type: ParserConfig.FieldType) -> FieldValue {
        switch type {
        case .bool: return .bool(bool)
        case .string: return .text(bool ? "true" : "false")
        case .int, .float: return .number(bool ? 1 : 0)
        }
    }

    /// `true`, `false`, `1`, `0`, `yes`, `no`, `on`, `off` in any case; nil for anything else.
    static func bool(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool? {
        guard !range.isEmpty, range.count <= 5 else { return nil }
        var word = ""
        for index in range {
            let byte = bytes[index]
            let lowercased = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            word.unicodeScalars.append(Unicode.Scalar(lowercased))
        }
        switch word {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: return nil
        }
    }
}
