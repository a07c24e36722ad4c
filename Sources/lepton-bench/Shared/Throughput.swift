import LeptonCore

/// Single-threaded timing for the benchmarks' speed numbers.
enum Throughput {
    /// Items per second of `pass` (which returns how many items it handled): one warm-up pass, then passes until at
    /// least `minimum` has elapsed, timed with `ContinuousClock`.
    static func rate(minimum: Duration, _ pass: () throws -> Int) rethrows -> Double {
        _ = try pass()
        let clock = ContinuousClock()
        let start = clock.now
        var items = 0
        var elapsed = Duration.zero
        repeat {
            items += try pass()
            elapsed = clock.now - start
        } while elapsed < minimum
        return Double(items) / elapsed.inSeconds
    }

    /// Keeps the optimiser from dropping work whose results are otherwise unused.
    @inline(never)
    static func keep(_ value: UInt64) {
        if value == 0x5EED_5EED_5EED_5EED { print("") }
    }
}
