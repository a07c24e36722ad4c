import Foundation
import LeptonTestSupport

/// The benchmark's draws from the seeded generator. They use only `next()`, never the standard library's
/// `random(in:using:)`, whose algorithm may change between Swift versions: every run generates the same signals.
extension SplitMix64 {
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
