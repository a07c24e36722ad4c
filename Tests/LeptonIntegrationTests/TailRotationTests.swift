import Foundation
import LeptonAgent
import LeptonCollector
import LeptonCore
import LeptonTestSupport
import Testing

/// A tailed file rotated every way logrotate does it while a writer keeps appending: every line arrives at the
/// collector exactly once (count and content), long lines are cut and counted.
@Suite(.serialized) struct TailRotationTests {
    /// Appends `line N` for each number to the file at `path` (creating it).
    static func append(_ range: Range<Int>, to path: String, width: Int = 0) throws {
        var text = ""
        for index in range {
            text += "line \(index)" + String(repeating: "x", count: width) + "\n"
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard descriptor >= 0 else { throw AgentError("cannot open \(path)") }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw AgentError("short write to \(path)") }
    }

    /// `[3, 4, 5, 9]` as `3...5, 9...9`, to keep failure messages short.
    static func ranges(_ numbers: [Int]) -> String {
        var parts: [String] = []
        var start: Int?
        var last = 0
        for number in numbers {
            if let first = start, number == last + 1 {
                last = number
                _ = first
                continue
            }
            if let first = start { parts.append("\(first)...\(last)") }
            start = number
            last = number
        }
        if let first = start { parts.append("\(first)...\(last)") }
        return parts.joined(separator: ", ")
    }

    static func stored(_ collector: CollectorHarness, agent: String, stream: String) async throws -> [Record] {
        try await collector.collector.sink.query(agent: agent, stream: stream, from: nil, to: nil, limit: 1_000_000)
    }

    @Test func renameRotationCopytruncateAndRotationWhileStoppedLoseAndDoubleNothing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: ["edge-rot"])
        let log = directory.file("app.log")
        let collector = try await CollectorHarness(pki: pki, databasePath: directory.file("lepton.db"))
        let config = AgentHarness.config(
            id: "edge-rot",
            pki: pki,
            collectorPort: collector.agentPort,
            stateDirectory: directory.file("agent"),
            sources: [SourceConfig(name: "app", kind: .file(path: log))]
        )
        var agent = try AgentHarness(config: config)
        var next = 0
        func write(_ count: Int) throws {
            try Self.append(next..<next + count, to: log)
            next += count
        }
        func storedCount() async throws -> Int {
            try await Self.stored(collector, agent: "edge-rot", stream: "app").count
        }
        func caughtUp() async throws -> Bool {
            try await eventually(timeout: .seconds(60), interval: .milliseconds(20)) { try await storedCount() >= next }
        }

        // 1. Rename rotation (logrotate `create`), the writer going on in the new file at once, while the
        //    tailer may still be reading the old one. (The tailer follows the path: a file renamed away before
        //    the tailer ever opened it, two rotations within one poll interval, is not read; see
        //    docs/configuration.md.)
        for round in 0..<5 {
            try write(300)
            // The tailer must have the file open before it is renamed away: a file it never saw at the path
            // cannot be found (the agent starting right after a rotation has the same blind spot).
            if round == 0 { #expect(try await caughtUp()) }
            try await Task.sleep(for: .milliseconds(30))
            try write(200)
            #expect(rename(log, directory.file("app.log.\(round)")) == 0)
            try write(300)
            #expect(try await caughtUp())
        }

        // 2. copytruncate: copy, then truncate in place. Lines written between the tailer's last read and the
        //    truncation exist only in the copy, for any tailer; the writer waits for the tailer first, as a
        //    real logrotate run would race it.
        for round in 0..<3 {
            try write(400)
            #expect(try await caughtUp())
            try FileManager.default.copyItem(atPath: log, toPath: directory.file("app.log.copy\(round)"))
            #expect(truncate(log, 0) == 0)
            try write(250)
        }
        #expect(try await caughtUp())

        // 3. Rotation while the agent is stopped: the rest of the old file is finished before the new one.
        try write(500)
        try await agent.stop()
        try write(100)
        #expect(rename(log, directory.file("app.log.stopped")) == 0)
        try write(300)
        agent = try AgentHarness(config: config)
        #expect(try await caughtUp())
        try await agent.stop()

        let records = try await Self.stored(collector, agent: "edge-rot", stream: "app")
        let numbers = records.compactMap { $0.value.text.flatMap { Int($0.dropFirst("line ".count)) } }
        #expect(numbers.count == next, "every line once: \(numbers.count) stored for \(next) written")
        let missing = Set(0..<next).subtracting(numbers).sorted()
        #expect(missing.isEmpty, "missing lines: \(Self.ranges(missing))")
        try await collector.stop()
    }

    @Test func multiLineRecordsAndOverlongLinesArriveOnceAndAreCounted() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: ["edge-ml"])
        let log = directory.file("app.log")
        let collector = try await CollectorHarness(pki: pki, databasePath: directory.file("lepton.db"))
        let lines = LineConfig(
            parser: .text,
            multiline: MultilineConfig(start: "^line ", timeout: .milliseconds(300)),
            maxLineBytes: 4096
        )
        let agent = try AgentHarness(
            config: AgentHarness.config(
                id: "edge-ml",
                pki: pki,
                collectorPort: collector.agentPort,
                stateDirectory: directory.file("agent"),
                sources: [SourceConfig(name: "app", kind: .file(FileSourceConfig(path: log, lines: lines)))]
            )
        )
        var text = ""
        for index in 0..<200 {
            text += "line \(index) failed\n"
            for frame in 0..<(index % 4) { text += "    at frame \(frame)\n" }
            if index % 50 == 0 { text += "    " + String(repeating: "z", count: 100_000) + "\n" }
        }
        try text.write(toFile: log, atomically: false, encoding: .utf8)
        let arrived = try await eventually(timeout: .seconds(60)) {
            try await Self.stored(collector, agent: "edge-ml", stream: "app").count >= 200
        }
        #expect(arrived)
        let truncated = agent.metrics().value("lepton_agent_lines_truncated_total{source=\"app\"}")
        try await agent.stop()

        let records = try await Self.stored(collector, agent: "edge-ml", stream: "app").compactMap { $0.value.text }
        #expect(records.count == 200)
        for (index, record) in records.enumerated() {
            let lines = record.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.first == "line \(index) failed")
            #expect(lines.count == 1 + index % 4 + (index % 50 == 0 ? 1 : 0))
            if index % 50 == 0 { #expect(lines.last?.utf8.count == 4096, "an overlong line is cut at max_line_bytes") }
        }
        #expect(truncated == 4)
        try await collector.stop()
    }
}
