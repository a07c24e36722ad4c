import AsyncAlgorithms
import LeptonCore
import LeptonTestSupport

@testable import LeptonAgent

/// Runs a source on its own task and keeps every batch of events it emits, in order.
final class SourceProbe: Sendable {
    actor Received {
        private(set) var emissions: [[Event]] = []

        func add(_ events: [Event]) {
            emissions.append(events)
        }
    }

    let received = Received()
    private let channel = AsyncChannel<SourceEvent>()
    private let source: Task<Void, any Error>
    private let reader: Task<Void, Never>

    init(_ source: any Source) {
        let channel = channel
        let received = received
        reader = Task {
            for await event in channel {
                if case .events(let events, _) = event { await received.add(events) }
            }
        }
        self.source = Task { try await source.run(into: EventOutput(channel: channel)) }
    }

    /// Waits until `condition` holds for the emissions so far; false after `timeout`.
    func wait(timeout: Duration = .seconds(20), until condition: @escaping ([[Event]]) -> Bool) async -> Bool {
        await eventually(timeout: timeout, interval: .milliseconds(10)) { condition(await received.emissions) }
    }

    var emissions: [[Event]] {
        get async { await received.emissions }
    }

    /// Waits for the source to end by itself (stdin EOF, a one-shot command).
    func finished() async throws {
        try await source.value
    }

    func stop() {
        source.cancel()
        reader.cancel()
        channel.finish()
    }
}

extension Event {
    /// Each field's stream and numeric value.
    var numbers: [String: Double] {
        var result: [String: Double] = [:]
        for field in fields {
            if let number = field.value.number { result[streamName(of: field.name)] = number }
        }
        return result
    }
}
