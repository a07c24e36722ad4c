/// Reads decimal numbers straight from UTF-8 bytes.
///
/// Numbers with at most 19 significant digits and a decimal exponent within ±22 are converted exactly with one
/// multiplication or division (both operands are exact doubles, so the result is correctly rounded); anything
/// else goes through the standard library's parser.
enum DecimalNumber {
    /// 10^0 ... 10^22, the powers of ten a double holds exactly.
    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// The value of `bytes[range]` when it is a finite decimal number (see ``isDecimal(_:_:)``), else nil.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Double? {
        guard isDecimal(bytes, range) else { return nil }
        let number = value(bytes, range)
        return number.isFinite ? number : nil
    }

    /// Whether `bytes[range]` is `[+-]digits[.digits][e[+-]digits]` (also `.5` and `5.`): no hexadecimal, no
    /// `inf` or `nan`, no spaces.
    static func isDecimal(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        var index = range.lowerBound
        let end = range.upperBound
        readSign(bytes, &index, end)
        var digits = 0
        while index < end, ByteText.isDigit(bytes[index]) {
            index += 1
            digits += 1
        }
        if index < end, bytes[index] == ByteText.dot {
            index += 1
            while index < end, ByteText.isDigit(bytes[index]) {
                index += 1
                digits += 1
            }
        }
        guard digits > 0 else { return false }
        if index < end, ByteText.isExponentMarker(bytes[index]) {
            index += 1
            readSign(bytes, &index, end)
            var exponentDigits = 0
            while index < end, ByteText.isDigit(bytes[index]) {
                index += 1
                exponentDigits += 1
            }
            guard exponentDigits > 0 else { return false }
        }
        return index == end
    }

    /// The value of `bytes[range]`, which must be a decimal number; may be infinite when out of range.
    static func value(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Double {
        var index = range.lowerBound
        let end = range.upperBound
        let negative = readSign(bytes, &index, end)
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var exponent = 0
        var exact = true
        var fractional = false
        while index < end {
            let byte = bytes[index]
            if byte == ByteText.dot {
                fractional = true
            } else if ByteText.isDigit(byte) {
                let digit = UInt64(byte &- ByteText.zero)
                if fractional { exponent -= 1 }
                if mantissa == 0, digit == 0 {
                    // A leading zero adds nothing.
                } else if significantDigits < 19 {
                    mantissa = mantissa * 10 + digit
                    significantDigits += 1
                } else {
                    exact = false
                }
            } else {
                break
            }
            index += 1
        }
        if index < end, ByteText.isExponentMarker(bytes[index]) {
            index += 1
            let exponentNegative = readSign(bytes, &index, end)
            var written = 0
            while index < end, ByteText.isDigit(bytes[index]) {
                if written < 100_000 { written = written * 10 + Int(bytes[index] &- ByteText.zero) }
                index += 1
            }
            exponent += exponentNegative ? -written : written
        }
        if exact, mantissa <= 1 << 53, exponent >= -22, exponent <= 22 {
            let magnitude =
                exponent < 0
                ? Double(mantissa) / powersOfTen[-exponent] : Double(mantissa) * powersOfTen[exponent]
            return negative ? -magnitude : magnitude
        }
        return Double(ByteText.string(bytes, range)) ?? .nan
    }

    /// `[+-]digits` as a signed 64-bit integer; nil when it is not one or does not fit.
    static func integer(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int64? {
        var index = range.lowerBound
        let end = range.upperBound
        let negative = readSign(bytes, &index, end)
        guard index < end else { return nil }
        var value: Int64 = 0
        while index < end {
            guard ByteText.isDigit(bytes[index]) else { return nil }
            let digit = Int64(bytes[index] &- ByteText.zero)
            let (shifted, shiftOverflow) = value.multipliedReportingOverflow(by: 10)
            let (next, addOverflow) =
                negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            if shiftOverflow || addOverflow { return nil }
            value = next
            index += 1
        }
        return value
    }

    /// `digits` as an unsigned 64-bit integer; nil when it is not one or does not fit.
    static func unsignedInteger(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64? {
        guard !range.isEmpty else { return nil }
        var value: UInt64 = 0
        for index in range {
            guard ByteText.isDigit(bytes[index]) else { return nil }
            let (shifted, shiftOverflow) = value.multipliedReportingOverflow(by: 10)
            let (next, addOverflow) = shifted.addingReportingOverflow(UInt64(bytes[index] &- ByteText.zero))
            if shiftOverflow || addOverflow { return nil }
            value = next
        }
        return value
    }

    /// Steps over a `+` or `-` at `index` (before `end`); whether it was `-`.
    @discardableResult
    private static func readSign(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int, _ end: Int) -> Bool {
        guard index < end, bytes[index] == ByteText.minus || bytes[index] == ByteText.plus else { return false }
        defer { index += 1 }
        return bytes[index] == ByteText.minus
    }
}
