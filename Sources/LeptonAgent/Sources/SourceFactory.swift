import LeptonCore
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The source a configuration entry describes. `resume` gives a file source its checkpoints (the spool's
/// newest positions, one per path; none in `preview`).
func makeSource(
    _ config: SourceConfig,
    resume: @escaping @Sendable () async -> [TailCheckpoint],
    standardInput: Int32,
    metrics: AgentMetrics,
    logger: Logger
) -> any Source {
    let name = config.name
    switch config.kind {
    case .file(let file):
        return FileTailSource(name: name, config: file, resume: resume, metrics: metrics, logger: logger)
    case .sensor(let sensor):
        return SensorSource(name: name, config: sensor, metrics: metrics, logger: logger)
    case .stdin(let lines):
        return StdinSource(
            name: name,
            lines: LineSettings(lines),
            metrics: metrics,
            logger: logger,
            descriptor: standardInput
        )
    case .exec(let exec):
        return ExecSource(name: name, config: exec, metrics: metrics, logger: logger)
    }
}

/// This machine's host name, for the `${hostname}` of static tags.
func hostName() -> String {
    var buffer = [UInt8](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
    return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
}

extension LineSettings {
    init(_ config: LineConfig) {
        self.init(parser: config.parser, multiline: config.multiline, maxLineBytes: config.maxLineBytes)
    }
}
