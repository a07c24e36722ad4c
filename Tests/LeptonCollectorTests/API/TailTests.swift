import Foundation
import LeptonCore
import LeptonTestSupport
import NIOCore
import Testing

@testable import LeptonCollector

/// The live tail: filters, a slow reader dropped instead of slowing ingest, the stream over HTTP, and the
/// `tail` and `query` commands against a running collector.
@Suite struct TailTests {
    static func record(_ value: Double, stream: String = "t", at time: Int64 = 1) -> Record {
        Record(stream: stream, timestamp: time, value: .number(value))
    }

    static func text(_ buffers: [ByteBuffer]) -> String {
        buffers.map { String(buffer: $0) }.joined()
    }

    @Test func readersGetWhatTheirFilterMatches() async throws {
        let hub = TailHub()
        let all = hub.subscribe(.init())
        let onlyB = hub.subscribe(.init(agent: "b", stream: "t"))
        hub.publish(agent: "a", records: [Self.record(1)])
        hub.publish(agent: "b", records: [Self.record(2), Self.record(3, stream: "u")])
        hub.close()
        let everything = Self.text(await Array(all))
        let filtered = Self.text(await Array(onlyB))
        #expect(everything.components(separatedBy: "event: record").count - 1 == 3)
        #expect(filtered == "event: record\ndata: {\"agent\":\"b\",\"stream\":\"t\",\"time\":1,\"value\":2.0}\n\n")
        #expect(hub.readerCount == 0)
    }

    @Test func aReaderThatFallsBehindIsDroppedNotBuffered() async throws {
        let hub = TailHub(maxPendingBytes: 4_096)
        let slow = hub.subscribe(.init())
        for index in 0..<1_000 { hub.publish(agent: "a", records: [Self.record(Double(index))]) }
        let received = Self.text(await Array(slow))
        #expect(received.hasSuffix("event: dropped\ndata: {\"reason\":\"slow reader\"}\n\n"))
        #expect(received.utf8.count < 4_096 + 200, "at most the bound, plus the event that crossed it")
        #expect(hub.readerCount == 0)
        hub.publish(agent: "a", records: [Self.record(1)])
    }

    @Test func theTailCommandFollowsAndTheQueryCommandPrints() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: [])
        let collector = try await CollectorHarness(pki: pki, databasePath: directory.file("lepton.db"))
        let url = "http://127.0.0.1:\(collector.httpPort)"
        let tail = try ChildProcess(
            "lepton-collector",
            ["tail", "--url", url, "--stream", "temp"],
            directory: directory.path
        )
        defer { tail.signal(SIGKILL) }
        let subscribed = await eventually(timeout: .seconds(20)) { collector.collector.server.tail.readerCount == 1 }
        #expect(subscribed, "\(tail.errorOutput)")

        let base = StoreRollupTests.base
        let records = [
            Record(stream: "temp", tags: ["site": "lyon"], timestamp: base, value: .number(21.5)),
            Record(stream: "other", timestamp: base, value: .number(1)),
            Record(stream: "temp", timestamp: base + 1_000_000_000, value: .text("sensor, \"offline\"")),
        ]
        _ = try await collector.collector.sink.commit(agent: "edge-01", sequence: 1, records: records)
        // The sink alone does not publish: the agent server does, after a commit; here, by hand.
        collector.collector.server.tail.publish(agent: "edge-01", records: records)
        let printed = await eventually(timeout: .seconds(20)) { tail.output.split(separator: "\n").count == 2 }
        #expect(printed, "\(tail.output) \(tail.errorOutput)")
        #expect(
            tail.output.split(separator: "\n") == [
                "2026-11-29T00:00:00.000Z edge-01 temp,site=lyon 21.5",
                "2026-11-29T00:00:01.000Z edge-01 temp \"sensor, \\\"offline\\\"\"",
            ]
        )

        let query = try ChildProcess(
            "lepton-collector",
            [
                "query", "--url", url, "--agent", "edge-01", "--stream", "temp,site=lyon", "--step", "1m", "--agg",
                "max",
                "--from", "\(base)", "--to", "\(base)",
            ],
            directory: directory.path
        )
        #expect(await query.wait() == 0, "\(query.errorOutput)")
        #expect(
            query.output.split(separator: "\n") == [
                "time                      max   count", "2026-11-29T00:00:00.000Z  21.5  1",
            ]
        )

        // --since: from that long ago (the record is at `base`; a minute more than its age reaches it).
        let age = (wallClockNanoseconds() - base) / 1_000_000_000 + 60
        let recent = try ChildProcess(
            "lepton-collector",
            ["query", "--url", url, "--agent", "edge-01", "--stream", "temp,site=lyon", "--since", "\(age)s"],
            directory: directory.path
        )
        #expect(await recent.wait() == 0, "\(recent.errorOutput)")
        #expect(
            recent.output.split(separator: "\n") == [
                "time                      value", "2026-11-29T00:00:00.000Z  21.5",
            ]
        )

        let missing = try ChildProcess(
            "lepton-collector",
            ["query", "--url", url, "--agent", "a"],
            directory: directory.path
        )
        #expect(await missing.wait() != 0)

        try await collector.stop()
        // The collector ends open tails when it stops.
        #expect(await tail.wait(timeout: .seconds(20)) == 0, "\(tail.errorOutput)")
        #expect(tail.errorOutput.contains("the collector closed the stream"))
    }

    /// Records an agent ships reach a tail reader once stored, over HTTP (the client the commands use).
    @Test func storedBatchesReachTheTailOverHTTP() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: ["edge-01"])
        let collector = try await CollectorHarness(pki: pki, databasePath: directory.file("lepton.db"))
        let client = try CollectorClient(url: "http://127.0.0.1:\(collector.httpPort)/")
        let reader = Task.detached {
            var buffer = ""
            var lines: [String] = []
            _ = try client.stream("/api/v1/tail?agent=edge-01") { bytes in
                buffer += String(decoding: bytes, as: UTF8.self)
                lines += ClientFormat.tailLines(&buffer).lines
                return lines.count < 3
            }
            return lines
        }
        #expect(await eventually(timeout: .seconds(20)) { collector.collector.server.tail.readerCount == 1 })
        let log = directory.file("app.log")
        try "one\ntwo\nthree\n".write(toFile: log, atomically: true, encoding: .utf8)
        let agent = try AgentHarness(
            config: AgentHarness.config(
                id: "edge-01",
                pki: pki,
                collectorPort: collector.agentPort,
                stateDirectory: directory.file("agent"),
                sources: [SourceConfig(name: "app", kind: .file(path: log))]
            )
        )
        let lines = try await reader.value
        #expect(
            lines.map { $0.split(separator: " ").dropFirst().joined(separator: " ") } == [
                "edge-01 app \"one\"", "edge-01 app \"two\"", "edge-01 app \"three\"",
            ]
        )
        try await agent.stop()
        try await collector.stop()
    }
}
