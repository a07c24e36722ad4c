import LeptonCore

/// Joins lines into multi-line records (`multiline:`): a line matching the start pattern begins a record, the
/// lines after it that do not match are appended to it with `\n`. Pure: the reader feeds lines with their end
/// offsets and the clock.
struct MultilineJoiner {
    /// A joined record with the offset just past its last line.
    struct Joined: Equatable {
        var text: String
        var end: Int64
    }

    let maxLines: Int
    let timeout: Duration
    /// Validated when the configuration was read; nil only if it somehow no longer compiles (nothing matches).
    private let start: Regex<AnyRegexOutput>?
    private var pending: [String] = []
    private var pendingEnd: Int64 = 0
    private var lastLine: ContinuousClock.Instant?

    init(_ config: MultilineConfig) {
        maxLines = config.maxLines
        timeout = config.timeout
        start = try? Regex(config.start)
    }

    /// Adds one line that ends at `end`; returns the record it completes, if any.
    mutating func push(_ line: String, end: Int64, now: ContinuousClock.Instant) -> Joined? {
        var completed: Joined?
        let startsRecord = start.map { (try? $0.firstMatch(in: line)) != nil } ?? false
        if !pending.isEmpty && (startsRecord || pending.count >= maxLines) {
            completed = take()
        }
        pending.append(line)
        pendingEnd = end
        lastLine = now
        return completed
    }

    /// The pending record once no line came for `timeout`.
    mutating func expire(now: ContinuousClock.Instant) -> Joined? {
        guard let lastLine, !pending.isEmpty, now - lastLine >= timeout else { return nil }
        return take()
    }

    /// The pending record, whatever its age (end of input).
    mutating func flush() -> Joined? {
        pending.isEmpty ? nil : take()
    }

    private mutating func take() -> Joined {
        defer {
            pending.removeAll(keepingCapacity: true)
            lastLine = nil
        }
        return Joined(text: pending.joined(separator: "\n"), end: pendingEnd)
    }
}
