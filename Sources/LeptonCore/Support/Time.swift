#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Duration {
    /// Whole milliseconds, saturating at the bounds of `Int64`.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled + attoseconds / 1_000_000_000_000_000
    }

    /// The duration in seconds, as a floating-point number (for rates and reports).
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}

/// Wall-clock time in nanoseconds since the epoch: the timestamp of records read now.
public func wallClockNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// UTC time in RFC 3339 with millisecond precision, e.g. `2026-11-29T06:40:57.123Z`.
public func formatRFC3339(nanoseconds: Int64) -> String {
    var seconds = time_t(nanoseconds / 1_000_000_000)
    var milliseconds = (nanoseconds % 1_000_000_000) / 1_000_000
    if milliseconds < 0 {
        seconds -= 1
        milliseconds += 1000
    }
    var parts = tm()
    gmtime_r(&seconds, &parts)
    func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    let date = "\(Int64(parts.tm_year) + 1900)-\(pad(Int64(parts.tm_mon) + 1, 2))-\(pad(Int64(parts.tm_mday), 2))"
    let time = "\(pad(Int64(parts.tm_hour), 2)):\(pad(Int64(parts.tm_min), 2)):\(pad(Int64(parts.tm_sec), 2))"
    return "\(date)T\(time).\(pad(milliseconds, 3))Z"
}
