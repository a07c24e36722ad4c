/// Tests and performs division by a fixed divisor with a shift and a multiplication, for multiples of it: the
/// odd part's inverse modulo 2⁶⁴ turns an exact division into a product (Granlund and Montgomery, 1994).
struct ExactDivisor {
    /// The divisor, at least 1.
    let divisor: UInt64
    private let shift: Int
    /// Inverse of `divisor >> shift` modulo 2⁶⁴.
    private let inverse: UInt64
    /// `UInt64.max / (divisor >> shift)`: a product above it means "not a multiple".
    private let limit: UInt64

    init(_ divisor: UInt64) {
        precondition(divisor > 0)
        self.divisor = divisor
        shift = divisor.trailingZeroBitCount
        let odd = divisor >> shift
        // Newton's iteration doubles the correct low bits: odd · odd ≡ 1 (mod 8), then 6, 12, 24, 48, 96 bits.
        var inverse = odd
        for _ in 0..<5 { inverse = inverse &* (2 &- odd &* inverse) }
        self.inverse = inverse
        limit = UInt64.max / odd
    }

    /// Whether `magnitude` is a multiple of the divisor (0 is).
    @inline(__always)
    func divides(_ magnitude: UInt64) -> Bool {
        magnitude.trailingZeroBitCount >= shift && (magnitude >> shift) &* inverse <= limit
    }

    /// `value / divisor` for a multiple of the divisor, in wrapping arithmetic (`Int64.min / 1` is `Int64.min`).
    @inline(__always)
    func quotient(_ value: Int64) -> Int64 {
        let magnitude = (value.magnitude >> shift) &* inverse
        return value < 0 ? Int64(bitPattern: 0 &- magnitude) : Int64(bitPattern: magnitude)
    }
}
