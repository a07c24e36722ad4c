import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonAgent

/// A `file` source whose paths are globs: every matched file followed with its own checkpoint, files that
/// appear later picked up, rotated files matched by the same glob read once.
@Suite struct FileGlobTests {
    typealias Tail = FileTailResumeTests

    static func write(_ text: String, _ path: String, appending: Bool = false) throws {
        try Tail.writeFile(text, at: path, appending: appending)
    }

    @Test func followsEveryMatchedFileExceptTheExcludedOnes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try Self.write("a1\n", directory.file("a.log"))
        try Self.write("b1\nb2\n", directory.file("b.log"))
        try Self.write("old\n", directory.file("a.log.gz"))
        try Self.write("other\n", directory.file("notes.txt"))
        let config = FileSourceConfig(paths: [directory.file("*.log*")], exclude: ["*.gz"])

        let running = Tail.start(config, checkpoints: [])
        defer { running.stop() }
        #expect(await running.waitForLines(3))
        try await Task.sleep(for: .milliseconds(200))
        #expect(await running.received.texts.sorted() == ["a1", "b1", "b2"])
        #expect(await running.received.keys["a1"] == TailKey(path: directory.file("a.log")))
        #expect(await running.received.keys["b2"] == TailKey(path: directory.file("b.log")))
    }

    @Test func aFileThatAppearsLaterIsReadFromItsBeginning() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try Self.write("skipped\n", directory.file("a.log"))
        let config = FileSourceConfig(paths: [directory.file("*.log")], startAt: .end)
        let metrics = AgentMetrics()

        let running = Tail.start(config, checkpoints: [], metrics: metrics)
        defer { running.stop() }
        let followed = "lepton_agent_files_followed{source=\"app\"}"
        #expect(await eventually(timeout: .seconds(10)) { Self.metric(followed, metrics) == 1 })
        try Self.write("n1\nn2\n", directory.file("new.log"))
        #expect(await running.waitForLines(2))
        try await Task.sleep(for: .milliseconds(200))
        #expect(await running.received.texts == ["n1", "n2"], "start_at: end applies to files found at startup only")
        #expect(Self.metric(followed, metrics) == 2)
    }

    @Test func eachFileResumesFromItsOwnCheckpoint() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let a = directory.file("a.log")
        let b = directory.file("b.log")
        try Self.write("a1\na2\n", a)
        try Self.write("b1\nb2\nb3\n", b)
        let checkpoints = [
            Tail.checkpoint(a, try Tail.identity(of: a), 3),
            Tail.checkpoint(b, try Tail.identity(of: b), 6),
        ]

        let running = Tail.start(FileSourceConfig(paths: [directory.file("*.log")]), checkpoints: checkpoints)
        defer { running.stop() }
        #expect(await running.waitForLines(2))
        try await Task.sleep(for: .milliseconds(200))
        #expect(await running.received.texts.sorted() == ["a2", "b3"])
    }

    /// `app.log*` matches the live file and its rotated copies: each line is read once, by whichever tail holds
    /// the file, however often it is renamed.
    @Test func aRotatedFileThatTheGlobAlsoMatchesIsReadOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let live = directory.file("app.log")
        try Self.write("1\n2\n", live)

        let running = Tail.start(FileSourceConfig(paths: [directory.file("app.log*")]), checkpoints: [])
        defer { running.stop() }
        #expect(await running.waitForLines(2))
        #expect(rename(live, live + ".1") == 0)
        try Self.write("3\n", live + ".1", appending: true)  // the writer has not reopened yet
        try Self.write("4\n", live)
        #expect(await running.waitForLines(4))
        #expect(rename(live + ".1", live + ".2") == 0)
        #expect(rename(live, live + ".1") == 0)
        try Self.write("5\n", live)
        #expect(await running.waitForLines(5))
        try await Task.sleep(for: .milliseconds(500))
        #expect(await running.received.texts.sorted() == ["1", "2", "3", "4", "5"])
    }

    /// Rotated while the agent was stopped, and the rotated name matches the glob too.
    @Test func aRotationWhileStoppedIsReadOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let live = directory.file("app.log")
        try Self.write("1\n2\n3\n", live)
        let checkpoint = Tail.checkpoint(live, try Tail.identity(of: live), 4)
        #expect(rename(live, live + ".1") == 0)
        try Self.write("4\n", live)

        let running = Tail.start(FileSourceConfig(paths: [directory.file("app.log*")]), checkpoints: [checkpoint])
        defer { running.stop() }
        #expect(await running.waitForLines(2))
        try await Task.sleep(for: .milliseconds(300))
        #expect(await running.received.texts.sorted() == ["3", "4"])
    }

    @Test func theTailOfADeletedFileEndsAndANewFileThereIsReadFromItsBeginning() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("a.log")
        try Self.write("x1\nx2\n", path)
        let metrics = AgentMetrics()

        let running = Tail.start(FileSourceConfig(paths: [directory.file("*.log")]), checkpoints: [], metrics: metrics)
        defer { running.stop() }
        #expect(await running.waitForLines(2))
        #expect(unlink(path) == 0)
        let followed = "lepton_agent_files_followed{source=\"app\"}"
        #expect(await eventually(timeout: .seconds(10)) { Self.metric(followed, metrics) == 0 })
        try Self.write("y\n", path)
        #expect(await running.waitForLines(3))
        #expect(await running.received.texts == ["x1", "x2", "y"])
    }

    @Test func configuredPathsAndGlobsAreMatchedInOrderEachOnce() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try Self.write("", directory.file("b.log"))
        try Self.write("", directory.file("a.log"))
        let source = FileTailSource(
            name: "app",
            config: FileSourceConfig(
                paths: [
                    directory.file("b.log"), directory.file("*.log"), directory.file("missing.log"),
                    directory.file("*.txt"),
                ],
                exclude: [directory.file("a.*")]
            ),
            resume: { [] },
            metrics: AgentMetrics(),
            logger: testLogger("file-glob")
        )
        let (paths, empty) = source.matches()
        #expect(paths.map(\.path) == [directory.file("b.log"), directory.file("missing.log")])
        #expect(paths.map(\.literal) == [true, true])
        #expect(empty == [directory.file("*.txt")], "*.log matched b.log (already followed); a.log is excluded")
    }

    static func metric(_ series: String, _ metrics: AgentMetrics) -> Double? {
        var buffer: [UInt8] = []
        metrics.registry.emit(into: &buffer)
        return PrometheusText(String(decoding: buffer, as: UTF8.self)).value(series)
    }
}
