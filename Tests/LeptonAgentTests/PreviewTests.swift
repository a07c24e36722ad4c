import Foundation
import LeptonCore
import LeptonTestSupport
import Synchronization
import Testing

@testable import LeptonAgent

/// `lepton-agent preview` prints what would be sent and how much each processor removed.
@Suite struct PreviewTests {
    static let yaml = """
        agent: { id: preview, state_dir: /nonexistent/state }
        collector: { address: 127.0.0.1:7443, tls: { ca: ca.pem, cert: c.pem, key: k.pem } }
        sources:
          - type: file
            name: plant
            path: /nonexistent/plant.log
            parser: { type: json, tags: [room] }
            processors:
              - { type: deadband, absolute: 1 }
          - { type: sensor, name: load, paths: [/proc/loadavg] }

        """

    static func run(_ preview: Preview) async throws -> [String] {
        let lines = Mutex<[String]>([])
        try await preview.run { line in lines.withLock { $0.append(line) } }
        return lines.withLock { $0 }
    }

    @Test func recordsAsTheyWouldBeSentThenTheReductionPerProcessor() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let input = directory.file("input.jsonl")
        try """
        {"temp": 20.0, "room": "a"}
        {"temp": 20.4, "room": "a"}
        {"temp": 21.5, "room": "a"}
        not json at all
        {"temp": 21.6, "room": "a"}

        """.write(toFile: input, atomically: true, encoding: .utf8)
        let config = try AgentConfig.parse(yaml: Self.yaml, file: "agent.yaml", baseDirectory: "/etc/lepton")
        let preview = try Preview(
            config: config,
            source: "plant",
            input: input,
            duration: .seconds(10),
            logger: testLogger("preview")
        )
        let lines = try await Self.run(preview)
        let records = lines.prefix { !$0.isEmpty }
        #expect(records.count == 2)
        #expect(records.allSatisfy { $0.contains(" plant.temp,room=a ") })
        #expect(records.first?.hasSuffix(" 20.0") == true)
        #expect(records.last?.hasSuffix(" 21.5") == true)
        let table = lines.drop { !$0.isEmpty }.dropFirst()
        #expect(table.first?.hasPrefix("source") == true)
        let row = try #require(table.first { $0.contains("0:deadband") })
        #expect(
            row.split(separator: " ", omittingEmptySubsequences: true).map(String.init) == [
                "plant", "0:deadband", "4", "2", "deadband=2", "2.0x",
            ]
        )
    }

    @Test func aFidelityLevelRunsTheLadderAtThatRung() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let input = directory.file("input.txt")
        try "20\n20.2\n20.4\n21\n23\n".write(toFile: input, atomically: true, encoding: .utf8)
        let yaml = """
            agent: { id: preview, state_dir: /nonexistent/state }
            collector: { address: 127.0.0.1:7443, tls: { ca: ca.pem, cert: c.pem, key: k.pem } }
            sources:
              - { type: stdin, name: pipe, parser: number, fidelity: [raw, {deadband: 0.5}, {deadband: 5}] }

            """
        let config = try AgentConfig.parse(yaml: yaml, file: "agent.yaml", baseDirectory: "/etc/lepton")
        func row(level: Int) async throws -> [String] {
            let preview = try Preview(
                config: config,
                source: nil,
                input: input,
                duration: .seconds(10),
                fidelityLevel: level,
                logger: testLogger("preview")
            )
            let lines = try await Self.run(preview)
            let row = try #require(lines.first { $0.contains("0:fidelity") })
            return row.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        }
        #expect(try await row(level: 0).prefix(4) == ["pipe", "0:fidelity", "5", "5"])
        // ±0.5: 20, 21 and 23 leave; ±5: only 20.
        #expect(try await row(level: 1).prefix(5) == ["pipe", "0:fidelity", "5", "3", "deadband=2"])
        #expect(try await row(level: 2).prefix(5) == ["pipe", "0:fidelity", "5", "1", "deadband=4"])
        #expect(throws: Preview.Problem.self) {
            try Preview(
                config: config,
                source: nil,
                input: input,
                duration: .seconds(1),
                fidelityLevel: 3,
                logger: testLogger("p")
            )
        }
    }

    @Test func unknownSourcesAndInputForASensorAreClearErrors() throws {
        let config = try AgentConfig.parse(yaml: Self.yaml, file: "agent.yaml", baseDirectory: "/etc/lepton")
        let unknown = #expect(throws: Preview.Problem.self) {
            try Preview(config: config, source: "nope", input: nil, duration: .seconds(1), logger: testLogger("p"))
        }
        #expect(unknown?.description.contains("plant, load") == true)
        let sensor = #expect(throws: Preview.Problem.self) {
            try Preview(config: config, source: "load", input: "/x", duration: .seconds(1), logger: testLogger("p"))
        }
        #expect(sensor?.description.contains("sensor") == true)
    }

    @Test func aSensorSourceRunsForTheGivenTime() async throws {
        let config = try AgentConfig.parse(yaml: Self.yaml, file: "agent.yaml", baseDirectory: "/etc/lepton")
        let preview = try Preview(
            config: config,
            source: "load",
            input: nil,
            duration: .milliseconds(300),
            logger: testLogger("preview")
        )
        let lines = try await Self.run(preview)
        #expect(lines.contains { $0.contains(" load.0 ") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("load") && $0.contains("(none)") })
    }
}
