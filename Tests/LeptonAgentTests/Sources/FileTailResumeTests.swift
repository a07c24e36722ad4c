import AsyncAlgorithms
import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonAgent

/// Where a tailed file is read from when the agent starts: the spool's checkpoint, the rotated file, the beginning,
/// or the end.
@Suite struct FileTailResumeTests {
    /// One line the source emitted, with the file and end offset its position names.
    struct Line: Hashable, Sendable, CustomStringConvertible {
        var text: String
        var file: FileIdentity?
        var end: Int64?

        var description: String { "\(text)@\(end.map { "\($0)" } ?? "?")" }
    }

    /// Every line the source emitted so far.
    actor Received {
        private(set) var lines: [Line] = []
        /// The path key each line's position named.
        private(set) var keys: [String: TailKey] = [:]

        func add(_ events: [Event], _ positions: FilePositions?) {
            for (index, event) in events.enumerated() {
                guard case .text(let text)? = event[field: Event.valueField] else { continue }
                let end = positions.flatMap { index < $0.endOffsets.count ? $0.endOffsets[index] : nil }
                lines.append(Line(text: text, file: positions?.file, end: end))
                keys[text] = positions?.key
            }
        }

        var texts: [String] { lines.map(\.text) }
    }

    /// A source running on its own task, its output drained into `received`.
    struct Running {
        let received: Received
        let channel: AsyncChannel<SourceEvent>
        let source: Task<Void, any Error>
        let reader: Task<Void, Never>

        /// Whether `count` lines arrived within `timeout`.
        func waitForLines(_ count: Int, timeout: Duration = .seconds(20)) async -> Bool {
            await eventually(timeout: timeout, interval: .milliseconds(10)) { await received.lines.count >= count }
        }

        func stop() {
            source.cancel()
            reader.cancel()
            channel.finish()
        }
    }

    static func start(path: String, checkpoint: TailCheckpoint?, startAt: StartPosition = .beginning) -> Running {
        start(FileSourceConfig(paths: [path], startAt: startAt), checkpoints: checkpoint.map { [$0] } ?? [])
    }

    static func start(
        _ config: FileSourceConfig,
        checkpoints: [TailCheckpoint],
        metrics: AgentMetrics = AgentMetrics()
    ) -> Running {
        var source = FileTailSource(
            name: "app",
            config: config,
            resume: { checkpoints },
            metrics: metrics,
            logger: testLogger("file-tail")
        )
        source.pollInterval = .milliseconds(20)
        source.scanInterval = .milliseconds(50)
        let configured = source
        let channel = AsyncChannel<SourceEvent>()
        let received = Received()
        let reader = Task {
            for await event in channel {
                if case .events(let events, let positions) = event { await received.add(events, positions) }
            }
        }
        let task = Task { try await configured.run(into: EventOutput(channel: channel)) }
        return Running(received: received, channel: channel, source: task, reader: reader)
    }

    /// Writes `text` to a new file at `path` (replacing what is there, keeping its inode), or appends it.
    static func writeFile(_ text: String, at path: String, appending: Bool = false) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | (appending ? O_APPEND : O_TRUNC), 0o644)
        guard descriptor >= 0 else { throw AgentError("cannot open \(path)") }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw AgentError("cannot write \(path)") }
    }

    /// A checkpoint of the tail of `path`.
    static func checkpoint(_ path: String, _ file: FileIdentity, _ offset: Int64) -> TailCheckpoint {
        TailCheckpoint(key: TailKey(path: path), file: file, offset: offset)
    }

    /// The identity of the file at `path` as it is now, as the source computes it.
    static func identity(of path: String) throws -> FileIdentity {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw AgentError("cannot open \(path)") }
        defer { close(descriptor) }
        return try #require(FileIdentity(descriptor: descriptor))
    }

    @Test func resumesAtTheCheckpointInTheSameFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        try Self.writeFile("a\nb\nc\n", at: path)
        let file = try Self.identity(of: path)

        let running = Self.start(path: path, checkpoint: Self.checkpoint(path, file, 4))
        defer { running.stop() }
        #expect(await running.waitForLines(1))
        try await Task.sleep(for: .milliseconds(100))
        #expect(await running.received.lines == [Line(text: "c", file: file, end: 6)])

        try Self.writeFile("d\n", at: path, appending: true)
        #expect(await running.waitForLines(2))
        // The file was shorter than a full fingerprint: the source fingerprints more of it as it grows.
        let grown = try Self.identity(of: path)
        #expect(grown.fingerprintLength == 8)
        #expect(
            await running.received.lines == [Line(text: "c", file: file, end: 6), Line(text: "d", file: grown, end: 8)]
        )
    }

    /// The old file rotated away (renamed, a new file created at the path) while the agent was stopped.
    @Test(arguments: [true, false])
    func finishesTheRotatedFileBeforeTheNewOne(lastLineTerminated: Bool) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        try Self.writeFile(lastLineTerminated ? "a\nb\nc\n" : "a\nb\nc", at: path)
        let old = try Self.identity(of: path)
        #expect(rename(path, path + ".1") == 0)
        try Self.writeFile("d\ne\n", at: path)
        let new = try Self.identity(of: path)

        let running = Self.start(path: path, checkpoint: Self.checkpoint(path, old, 4))
        defer { running.stop() }
        #expect(await running.waitForLines(3))
        try await Task.sleep(for: .milliseconds(100))
        #expect(
            await running.received.lines == [
                Line(text: "c", file: old, end: lastLineTerminated ? 6 : 5),
                Line(text: "d", file: new, end: 2),
                Line(text: "e", file: new, end: 4),
            ]
        )
    }

    @Test func anotherFileAtThePathIsReadFromItsBeginning() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        try Self.writeFile("a\nb\nc\n", at: path)
        let old = try Self.identity(of: path)
        // The replacement exists before the old file is gone, so it cannot reuse the old inode.
        try Self.writeFile("x\ny\nz\n", at: path + ".new")
        #expect(rename(path + ".new", path) == 0)
        let new = try Self.identity(of: path)
        try #require(new.inode != old.inode)

        let running = Self.start(path: path, checkpoint: Self.checkpoint(path, old, 4))
        defer { running.stop() }
        #expect(await running.waitForLines(3))
        try await Task.sleep(for: .milliseconds(100))
        #expect(
            await running.received.lines == [
                Line(text: "x", file: new, end: 2),
                Line(text: "y", file: new, end: 4),
                Line(text: "z", file: new, end: 6),
            ]
        )
    }

    @Test func startAtEndWithoutACheckpointSkipsWhatIsAlreadyThere() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        try Self.writeFile("old 1\nold 2\n", at: path)
        var size = 12

        let running = Self.start(path: path, checkpoint: nil, startAt: .end)
        defer { running.stop() }
        // The source opens the file at some moment after it starts: append until a line comes through.
        for attempt in 1...50 {
            let line = "new \(attempt)\n"
            try Self.writeFile(line, at: path, appending: true)
            size += line.utf8.count
            if await running.waitForLines(1, timeout: .milliseconds(100)) { break }
        }
        let total = Int64(size)
        let caughtUp = await eventually(timeout: .seconds(5)) { await running.received.lines.last?.end == total }
        let lines = await running.received.lines
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.text.hasPrefix("new ") }, "\(lines)")
        #expect(caughtUp, "offsets count from the start of the file: \(lines)")
    }

    /// copytruncate: the file is emptied in place and written again while the source runs. A checkpoint taken after
    /// that must let the next start resume in the file as it is now, not read it again from the top.
    @Test func aCheckpointTakenAfterATruncationInPlaceResumesThere() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("app.log")
        try Self.writeFile("a\nb\n", at: path)

        let first = Self.start(path: path, checkpoint: nil)
        defer { first.stop() }
        #expect(await first.waitForLines(2))
        try Self.writeFile("xy\n", at: path)  // truncated to nothing, then written: shorter than what was read
        #expect(await first.waitForLines(3))
        first.stop()
        let lines = await first.received.lines
        #expect(lines.map(\.text) == ["a", "b", "xy"])
        let last = try #require(lines.last)
        let file = try #require(last.file)
        let end = try #require(last.end)
        let checkpoint = Self.checkpoint(path, file, end)
        #expect(checkpoint.offset == 3)

        try Self.writeFile("z\n", at: path, appending: true)
        let second = Self.start(path: path, checkpoint: checkpoint)
        defer { second.stop() }
        #expect(await second.waitForLines(1))
        try await Task.sleep(for: .milliseconds(100))
        #expect(await second.received.lines.map(\.text) == ["z"], "xy was already read before the restart")
    }
}
