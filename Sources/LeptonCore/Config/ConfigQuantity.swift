/// Shared lexing for quantities with a unit, like `1.5s` or `64MiB`.
enum ConfigQuantity {
    /// Why a decimal number could not be scaled to a whole count of the base unit.
    enum ScaleFailure: Error {
        case malformed
        case overflow
        case notWhole
    }

    /// Splits `text` (already trimmed) into the leading number (digits and dots) and the unit after it; blanks
    /// between the two are dropped.
    static func split(_ text: Substring) -> (number: Substring, unit: Substring) {
        let number = text.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = text[number.endIndex...].drop { $0 == " " || $0 == "\t" }
        return (number, unit)
    }

    /// Returns `number × unit` exactly, where `number` is a decimal like `12`, `1.5` or `0.25`.
    ///
    /// Fails with `.notWhole` when the product has a fractional part (`1.5ns`, `0.1KiB`).
    static func scale(_ number: Substring, by unit: Int64) -> Result<Int64, ScaleFailure> {
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty else { return .failure(.malformed) }
        var fraction = parts.count == 2 ? parts[1] : ""
        if parts.count == 2, fraction.isEmpty { return .failure(.malformed) }
        while fraction.last == "0" { fraction = fraction.dropLast() }
        guard fraction.count <= 18 else { return .failure(.notWhole) }

        guard let wholeValue = Int64(whole) else { return .failure(.overflow) }
        let (wholeScaled, wholeOverflow) = wholeValue.multipliedReportingOverflow(by: unit)
        guard !wholeOverflow else { return .failure(.overflow) }
        guard !fraction.isEmpty else { return .success(wholeScaled) }

        guard let fractionValue = Int64(fraction) else { return .failure(.malformed) }
        var denominator: Int64 = 1
        for _ in 0..<fraction.count { denominator *= 10 }
        // fraction × unit / 10^digits must be a whole number of base units.
        let (numerator, numeratorOverflow) = fractionValue.multipliedReportingOverflow(by: unit)
        guard !numeratorOverflow else { return .failure(.overflow) }
        guard numerator % denominator == 0 else { return .failure(.notWhole) }
        let (total, totalOverflow) = wholeScaled.addingReportingOverflow(numerator / denominator)
        guard !totalOverflow else { return .failure(.overflow) }
        return .success(total)
    }
}
