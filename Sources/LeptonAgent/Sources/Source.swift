import AsyncAlgorithms
import LeptonCore

/// Something that produces records: a tailed file, sampled sensor files, stdin.
protocol Source: Sendable {
    var name: String { get }
    /// Produces records until the input ends (stdin EOF) or the task is cancelled.
    func run(into output: RecordOutput) async throws
}

/// Where sources hand their records: a channel with no buffer, so a slow downstream slows the sources.
struct RecordOutput: Sendable {
    let channel: AsyncChannel<PipelineEvent>

    func emit(_ records: [Record]) async {
        guard !records.isEmpty else { return }
        await channel.send(.records(records))
    }
}

enum PipelineEvent: Sendable {
    case records([Record])
    case tick
    case sourcesFinished
}
