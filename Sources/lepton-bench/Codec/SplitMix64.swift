import Foundation

/// SplitMix64 (Steele, Lea and Flood, 2014): a small, fast, seeded generator, so every run generates the same
/// signals. The helpers below use only `next()`, never the standard library's `random(in:using:)`, whose
/// algorithm may change between Swift versions.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), 53 random bits.
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in 0..<bound (the modulo bias is below 2^-40 for the small bounds used here).
    mutating func integer(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    /// Standard normal (Box–Muller).
    mutating func gaussian() -> Double {
        let u1 = 1 - unit()  // (0, 1]: log(0) never happens
        let u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
