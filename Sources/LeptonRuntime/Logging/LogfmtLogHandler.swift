import LeptonCore
import Logging
import Synchronization

/// One line per event on stderr: `2026-11-29T06:40:57.123Z info agent connected agent.id=edge-01 address=…`.
/// Metadata follows the message as `key=value` pairs (quoted when needed), so `grep agent.id=edge-17` works.
///
/// Handlers share one process-wide level, changed by ``setLevel(_:)`` (a configuration reload), unless a logger
/// sets its own.
public struct LogfmtLogHandler: LogHandler {
    public var logLevel: Logger.Level {
        get { ownLevel ?? Self.level }
        set { ownLevel = newValue }
    }
    private var ownLevel: Logger.Level?
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String

    /// Serialises writes so lines from several threads never interleave.
    private static let output = Mutex<Void>(())
    /// The process-wide level, as an index into `Logger.Level.allCases` (read on every log call).
    private static let sharedLevel = Atomic<Int>(Logger.Level.allCases.firstIndex(of: .info)!)

    /// The level every handler without one of its own uses.
    public static var level: Logger.Level { Logger.Level.allCases[sharedLevel.load(ordering: .relaxed)] }

    /// Changes the level of every handler that has none of its own.
    public static func setLevel(_ level: Logger.Level) {
        sharedLevel.store(Logger.Level.allCases.firstIndex(of: level)!, ordering: .relaxed)
    }

    public init(label: String, level: Logger.Level? = nil) {
        self.label = label
        self.ownLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var line = "\(Self.timestamp()) \(event.level) \(label): \(event.message)"
        for key in merged.keys.sorted() {
            line += " \(key)=\(Self.quoted(merged[key]!.description))"
        }
        line += "\n"
        Self.output.withLock { _ in
            writeStandardError(line)
        }
    }

    static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }
        guard needsQuotes else { return value }
        var escaped = "\""
        for character in value {
            switch character {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped + "\""
    }

    /// UTC, millisecond precision: `2026-11-29T06:40:57.123Z`.
    static func timestamp() -> String {
        formatRFC3339(nanoseconds: wallClockNanoseconds())
    }

    /// Installs this handler for the whole process at `level`. Call once, from `main`.
    public static func bootstrap(level: Logger.Level) {
        setLevel(level)
        LoggingSystem.bootstrap { label in LogfmtLogHandler(label: label) }
    }
}
