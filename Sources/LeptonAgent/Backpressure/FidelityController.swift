/// Decides how much each adaptable stream is reduced, from how production compares with what the collector lets
/// through; without I/O or a clock of its own.
///
/// Level 0 is raw; level k is the k-th rung of the stream's configured ladder (for instance raw, deadband 0.5,
/// aggregate 10 s, aggregate 60 s: levels 0...3). Adaptation goes in this order: the spool absorbs a short
/// overload first (the backlog grows), only a lasting one raises levels here, and when no stream can rise any
/// more the spool's drop policy takes over (outside this type). Levels come down again, slowly and most
/// important stream first, once the backlog has drained and production fits comfortably.
///
/// Anti-flap: a raise within `raiseAfter × 2` of a lower (a flap) doubles the delay before the next lower, up to
/// ×8. The delay returns to `lowerAfter` once a lower made after the last flap has stood for `lowerAfter × 8`
/// without another flap. Counting from the flap alone would let the long wait for that lower use up the quiet
/// period, so the backoff would fall back just as the next flap comes; and while no lower has followed a flap,
/// keeping the longer delay only makes that one lower more careful. The backoff is not reset when every stream is
/// back to raw, because a flap between raw and the first rung is exactly what it must damp.
public struct FidelityController: Sendable {
    /// One stream that may be reduced.
    public struct Stream: Hashable, Sendable {
        public var name: String
        /// Higher = more important: reduced last, restored first. Default 0.
        public var priority: Int = 0
        /// Rungs of its ladder including raw; 1 = not adaptable (always raw).
        public var levels: Int

        public init(name: String, priority: Int = 0, levels: Int) {
            self.name = name
            self.priority = priority
            self.levels = levels
        }
    }

    /// Timings and thresholds; the defaults suit one observation per second.
    public struct Settings: Hashable, Sendable {
        /// Overload must last this long before each step up.
        public var raiseAfter: Duration = .seconds(10)
        /// Relief must last this long before each step down (longer than raiseAfter: hysteresis).
        public var lowerAfter: Duration = .seconds(30)
        /// Spool use (fraction of its capacity) at or above which the backlog counts as growing out of hand.
        public var backlogHigh: Double = 0.25
        /// Spool use at or below which the backlog counts as drained.
        public var backlogLow: Double = 0.05
        /// A step down needs production ≤ allowed × this, so that restoring a rung does not overload at once.
        public var lowerHeadroom: Double = 0.7

        public init() {}
    }

    /// What the agent measured at one moment.
    public struct Observation: Hashable, Sendable {
        /// Monotonic time since an origin.
        public var now: Duration
        /// What the sources produce now, after reduction.
        public var producedBytesPerSecond: Double
        /// The collector's advised fair rate or the bandwidth cap, whichever is lower; nil = no limit known.
        public var allowedBytesPerSecond: Double?
        /// Spool bytes pending / spool capacity, 0...1.
        public var backlogFraction: Double
        /// The collector said it is saturated.
        public var saturated: Bool

        public init(
            now: Duration,
            producedBytesPerSecond: Double,
            allowedBytesPerSecond: Double?,
            backlogFraction: Double,
            saturated: Bool
        ) {
            self.now = now
            self.producedBytesPerSecond = producedBytesPerSecond
            self.allowedBytesPerSecond = allowedBytesPerSecond
            self.backlogFraction = backlogFraction
            self.saturated = saturated
        }
    }

    /// One stream moved from one level to another; the agent reconfigures its reduction accordingly.
    public struct LevelChange: Hashable, Sendable {
        public var stream: String
        public var from: Int
        public var to: Int
    }

    /// The most the lower delay is doubled: ×2³ = ×8.
    private static let maximumBackoffExponent = 3

    /// May be replaced on a configuration reload; new values apply from the next observation, to the timers running.
    var settings: Settings
    /// Streams in configuration order, names unique.
    private(set) var streams: [Stream]
    /// Current level of every known stream.
    private(set) var levels: [String: Int]
    /// Time spent at each level (index = level), for every known stream.
    private var timeSpent: [String: [Duration]]
    /// The latest time seen; time is accounted from it.
    private var lastNow: Duration
    /// Start of the current overload, or of the last raise during it; nil when not overloaded.
    private var overloadSince: Duration?
    /// Start of the current relief, or of the last lower during it; nil when not relieved.
    private var reliefSince: Duration?
    /// When the last lower happened, to recognise a flap.
    private var lastLowerAt: Duration?
    /// When the last flap (a raise soon after a lower) happened, to let the backoff decay; nil when there is none.
    private var lastFlapAt: Duration?
    /// The lower delay is `lowerAfter × 2^backoffExponent`.
    private var backoffExponent = 0

    /// Every stream starts raw.
    public init(streams: [Stream], settings: Settings = Settings(), now: Duration) {
        self.settings = settings
        self.streams = []
        self.levels = [:]
        self.timeSpent = [:]
        self.lastNow = now
        update(streams: streams, now: now)
    }

    /// How long relief must now last before the next step down, with the anti-flap backoff applied.
    var currentLowerDelay: Duration {
        settings.lowerAfter * (1 << backoffExponent)
    }

    /// How long a lower made after the last flap must stand, without another flap, before the lower delay returns
    /// to `lowerAfter`.
    private var backoffDecay: Duration {
        settings.lowerAfter * (1 << Self.maximumBackoffExponent)
    }

    /// The level of `stream`; 0 (raw) for a stream this controller does not know.
    public func level(of stream: String) -> Int {
        levels[stream] ?? 0
    }

    /// Time spent at each level by `stream` up to the last observation (index = level); empty for an unknown
    /// stream.
    public func timeAtLevels(of stream: String) -> [Duration] {
        timeSpent[stream] ?? []
    }

    /// Feeds one observation (the agent calls it every second); returns the level changes to apply (at most one
    /// per call).
    public mutating func observe(_ observation: Observation) -> [LevelChange] {
        let now = observation.now
        account(until: now)
        if backoffExponent > 0, let lastFlapAt, let lastLowerAt, lastLowerAt > lastFlapAt,
            now - lastLowerAt >= backoffDecay
        {
            backoffExponent = 0
            self.lastFlapAt = nil
        }

        if isOverloaded(observation) {
            reliefSince = nil
            let since = overloadSince ?? now
            overloadSince = since
            guard now - since >= settings.raiseAfter, let change = raise() else { return [] }
            overloadSince = now
            if let lastLowerAt, now - lastLowerAt <= settings.raiseAfter * 2 {
                backoffExponent = min(backoffExponent + 1, Self.maximumBackoffExponent)
                lastFlapAt = now
            }
            return [change]
        }

        if isRelieved(observation) {
            overloadSince = nil
            let since = reliefSince ?? now
            reliefSince = since
            guard now - since >= currentLowerDelay, let change = lower() else { return [] }
            reliefSince = now
            lastLowerAt = now
            return [change]
        }

        // Steady: neither pressure nor room to spare, so whatever was building up starts over.
        overloadSince = nil
        reliefSince = nil
        return []
    }

    /// Replaces the stream list (config reload): known streams keep their level, clamped to the new ladder length,
    /// and new ones start raw. Streams no longer listed are forgotten, and the time spent at rungs a ladder lost is
    /// dropped. A repeated name counts once (the first). Timers and backoff carry on.
    ///
    /// Returns the levels lowered by clamping, for the agent to apply.
    @discardableResult
    mutating func update(streams newStreams: [Stream], now: Duration) -> [LevelChange] {
        account(until: now)
        var seen: Set<String> = []
        var kept: [Stream] = []
        var newLevels: [String: Int] = [:]
        var newTime: [String: [Duration]] = [:]
        var changes: [LevelChange] = []
        for var stream in newStreams {
            guard seen.insert(stream.name).inserted else { continue }
            stream.levels = max(stream.levels, 1)
            let old = levels[stream.name] ?? 0
            let clamped = min(old, stream.levels - 1)
            if clamped != old {
                changes.append(LevelChange(stream: stream.name, from: old, to: clamped))
            }
            var time = Array(timeSpent[stream.name]?.prefix(stream.levels) ?? [])
            time += Array(repeating: .zero, count: stream.levels - time.count)
            kept.append(stream)
            newLevels[stream.name] = clamped
            newTime[stream.name] = time
        }
        streams = kept
        levels = newLevels
        timeSpent = newTime
        return changes
    }

    /// The backlog grows out of hand and the collector cannot take more: time to reduce. With advice, "more" means
    /// more than this agent's fair rate: a store saturated by others does not make an agent within its share
    /// reduce. Without advice, the saturated flag decides.
    private func isOverloaded(_ observation: Observation) -> Bool {
        guard observation.backlogFraction >= settings.backlogHigh else { return false }
        guard let allowed = observation.allowedBytesPerSecond else { return observation.saturated }
        return observation.producedBytesPerSecond > allowed
    }

    /// The backlog has drained and production fits its fair rate with room to spare (or, without advice, the store
    /// is not saturated): a rung may come back.
    private func isRelieved(_ observation: Observation) -> Bool {
        guard observation.backlogFraction <= settings.backlogLow else { return false }
        guard let allowed = observation.allowedBytesPerSecond else { return !observation.saturated }
        return observation.producedBytesPerSecond <= allowed * settings.lowerHeadroom
    }

    /// Adds the time since the latest time seen to each stream's current level; a clock going back adds nothing.
    private mutating func account(until now: Duration) {
        guard now > lastNow else { return }
        let elapsed = now - lastNow
        for stream in streams {
            let level = levels[stream.name] ?? 0
            timeSpent[stream.name]?[level] += elapsed
        }
        lastNow = now
    }

    /// Raises the least important stream that can still rise; among equals the least reduced, then by name, so
    /// that reduction spreads evenly. Nil when every stream is at its last rung.
    private mutating func raise() -> LevelChange? {
        let candidates = streams.filter { level(of: $0.name) < $0.levels - 1 }
        let chosen = candidates.min { a, b in
            let (levelA, levelB) = (level(of: a.name), level(of: b.name))
            if a.priority != b.priority { return a.priority < b.priority }
            if levelA != levelB { return levelA < levelB }
            return a.name < b.name
        }
        guard let chosen else { return nil }
        return move(chosen.name, by: 1)
    }

    /// Lowers the most important reduced stream; among equals the most reduced, then by name. Nil when every
    /// stream is raw.
    private mutating func lower() -> LevelChange? {
        let candidates = streams.filter { level(of: $0.name) > 0 }
        let chosen = candidates.min { a, b in
            let (levelA, levelB) = (level(of: a.name), level(of: b.name))
            if a.priority != b.priority { return a.priority > b.priority }
            if levelA != levelB { return levelA > levelB }
            return a.name < b.name
        }
        guard let chosen else { return nil }
        return move(chosen.name, by: -1)
    }

    /// Moves one stream one rung and reports it.
    private mutating func move(_ name: String, by step: Int) -> LevelChange {
        let from = level(of: name)
        levels[name] = from + step
        return LevelChange(stream: name, from: from, to: from + step)
    }
}
