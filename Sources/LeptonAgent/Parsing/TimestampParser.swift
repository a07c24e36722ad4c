import LeptonCore

/// Reads the `timestamp.field` of a record as nanoseconds since the epoch, in one of the `timestamp.format`s.
enum TimestampParser {
    /// The times a signed 64-bit count of nanoseconds since 1970 can hold.
    static let outOfRange = "outside the range 1677-09-21 to 2262-04-11"

    /// `bytes[range]` read as `format`.
    static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>,
        _ range: Range<Int>,
        format: ParserConfig.TimestampFormat
    ) throws(ParseError) -> Int64 {
        switch format {
        case .rfc3339:
            return try rfc3339(bytes, range)
        case .unix, .unixMilliseconds, .unixMicroseconds, .unixNanoseconds:
            return try unix(bytes, range, nanosecondsPerUnit: format.nanosecondsPerUnit)
        }
    }

    /// An RFC 3339 time: `2026-11-29T12:00:00Z`, `2026-11-29T12:00:00.123456789+01:00`; `t`, `z` and a space
    /// instead of `T` are accepted too. Digits beyond nanoseconds are ignored.
    static func rfc3339(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(ParseError) -> Int64 {
        func invalid(_ reason: String) -> ParseError {
            ParseError(
                "\(ByteText.quoted(bytes, range)) is not an RFC 3339 time like 2026-11-29T12:00:00Z: \(reason)"
            )
        }
        var reader = DigitReader(bytes: bytes, position: range.lowerBound, end: range.upperBound)
        guard let year = reader.digits(4), reader.skip(ByteText.minus), let month = reader.digits(2),
            reader.skip(ByteText.minus), let day = reader.digits(2)
        else { throw invalid("expected the date as YYYY-MM-DD") }
        guard let separator = reader.peek, separator == 0x54 || separator == 0x74 || separator == ByteText.space else {
            throw invalid("expected 'T' between the date and the time")
        }
        reader.position += 1
        guard let hour = reader.digits(2), reader.skip(ByteText.colon), let minute = reader.digits(2),
            reader.skip(ByteText.colon), let second = reader.digits(2)
        else { throw invalid("expected the time as hh:mm:ss") }
        var nanoseconds: Int64 = 0
        if reader.skip(ByteText.dot) {
            var digits = 0
            while let byte = reader.peek, ByteText.isDigit(byte) {
                if digits < 9 { nanoseconds = nanoseconds * 10 + Int64(byte &- ByteText.zero) }
                digits += 1
                reader.position += 1
            }
            if digits == 0 { throw invalid("expected digits after '.'") }
            for _ in min(digits, 9)..<9 { nanoseconds *= 10 }
        }
        var offsetSeconds = 0
        guard let zone = reader.peek else { throw invalid("missing time zone; end with Z or an offset like +01:00") }
        if zone == 0x5A || zone == 0x7A {
            reader.position += 1
        } else if zone == ByteText.plus || zone == ByteText.minus {
            reader.position += 1
            guard let hours = reader.digits(2), reader.skip(ByteText.colon), let minutes = reader.digits(2),
                hours <= 23, minutes <= 59
            else { throw invalid("expected a time zone offset like +01:00") }
            offsetSeconds = (hours * 3600 + minutes * 60) * (zone == ByteText.minus ? -1 : 1)
        } else {
            throw invalid("expected Z or an offset like +01:00 after the time")
        }
        if !reader.atEnd { throw invalid("unexpected text after the time zone") }
        if month < 1 || month > 12 { throw invalid("month \(month) does not exist") }
        if day < 1 || day > daysIn(month: month, year: year) {
            throw invalid("day \(day) does not exist in that month")
        }
        if hour > 23 || minute > 59 || second > 60 { throw invalid("the time of day is out of range") }

        let days = Int64(daysFromCivil(year: year, month: month, day: day))
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        let (scaled, scaleOverflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, addOverflow) = scaled.addingReportingOverflow(nanoseconds)
        if scaleOverflow || addOverflow { throw invalid("it is \(outOfRange)") }
        return total
    }

    /// A number of seconds (`nanosecondsPerUnit` 1e9), milliseconds, microseconds or nanoseconds since the
    /// epoch: an integer, a decimal (`1700000000.25`) or with an exponent (`1.7e9`). Integers and decimals are
    /// read exactly; digits finer than a nanosecond are dropped.
    static func unix(
        _ bytes: UnsafeBufferPointer<UInt8>,
        _ range: Range<Int>,
        nanosecondsPerUnit scale: Int64
    ) throws(ParseError) -> Int64 {
        let unit: String
        switch scale {
        case 1_000_000_000: unit = "seconds"
        case 1_000_000: unit = "milliseconds"
        case 1_000: unit = "microseconds"
        default: unit = "nanoseconds"
        }
        var invalid: ParseError { ParseError("\(ByteText.quoted(bytes, range)) is not a number of \(unit) since 1970") }
        var outOfRange: ParseError {
            ParseError("\(ByteText.quoted(bytes, range)) \(unit) since 1970 is \(TimestampParser.outOfRange)")
        }
        let number = ByteText.trimmed(bytes, range)
        var index = number.lowerBound
        let end = number.upperBound
        var negative = false
        if index < end, bytes[index] == ByteText.minus || bytes[index] == ByteText.plus {
            negative = bytes[index] == ByteText.minus
            index += 1
        }
        var whole: Int64 = 0
        var digits = 0
        var overflow = false
        while index < end, ByteText.isDigit(bytes[index]) {
            let (shifted, shiftOverflow) = whole.multipliedReportingOverflow(by: 10)
            let (next, addOverflow) = shifted.addingReportingOverflow(Int64(bytes[index] &- ByteText.zero))
            overflow = overflow || shiftOverflow || addOverflow
            whole = next
            digits += 1
            index += 1
        }
        var fraction: Int64 = 0
        if index < end, bytes[index] == ByteText.dot {
            index += 1
            var place = scale
            while index < end, ByteText.isDigit(bytes[index]) {
                place /= 10
                fraction += Int64(bytes[index] &- ByteText.zero) * place
                digits += 1
                index += 1
            }
        }
        if digits == 0 { throw invalid }
        if index < end {
            // An exponent (or garbage): go through a double.
            guard DecimalNumber.isDecimal(bytes, number) else { throw invalid }
            let value = DecimalNumber.value(bytes, number) * Double(scale)
            guard value.isFinite, abs(value) < 9.2e18 else { throw outOfRange }
            return Int64(value.rounded())
        }
        let (scaled, scaleOverflow) = whole.multipliedReportingOverflow(by: scale)
        let (total, addOverflow) = scaled.addingReportingOverflow(fraction)
        if overflow || scaleOverflow || addOverflow { throw outOfRange }
        return negative ? -total : total
    }

    /// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar (Howard Hinnant's
    /// `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Days in `month` (1-12) of `year`.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2:
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            return leap ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }
}

/// Reads fixed-width digit groups for ``TimestampParser/rfc3339(_:_:)``.
private struct DigitReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var position: Int
    let end: Int

    var atEnd: Bool { position >= end }

    var peek: UInt8? { position < end ? bytes[position] : nil }

    /// Exactly `count` digits as a number, or nil (the position is then unchanged).
    mutating func digits(_ count: Int) -> Int? {
        guard end - position >= count else { return nil }
        var value = 0
        for index in position..<(position + count) {
            guard ByteText.isDigit(bytes[index]) else { return nil }
            value = value * 10 + Int(bytes[index] &- ByteText.zero)
        }
        position += count
        return value
    }

    /// Moves past `byte` when it is next.
    mutating func skip(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        position += 1
        return true
    }
}
