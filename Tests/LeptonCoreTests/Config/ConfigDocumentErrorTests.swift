import Foundation
import Testing

@testable import LeptonCore

/// Errors about the document as a whole: YAML syntax, empty files, unreadable files.
@Suite("Configuration document errors")
struct ConfigDocumentErrorTests {
    @Test("YAML syntax error carries libyaml's position")
    func syntaxError() throws {
        let yaml = """
            agent:
              id: edge-01
               state_dir: /var/lib/lepton-agent

            """
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(
            error,
            line: 3,
            column: 13,
            keyPath: "",
            message: "invalid YAML: mapping values are not allowed in this context"
        )
    }

    @Test("unterminated quote")
    func unterminatedQuote() throws {
        let error = try ConfigFixtures.agentError("agent:\n  id: 'edge-01\n")
        expectConfigError(error, line: 3, column: 1, keyPath: "", message: "invalid YAML")
    }

    @Test("duplicate key in a mapping")
    func duplicateKey() throws {
        let error = try ConfigFixtures.agentError("agent:\n  id: a\n  id: b\n")
        expectConfigError(error, line: 2, column: 3, keyPath: "", message: "duplicate key 'id'")
    }

    @Test("empty file", arguments: ["", "\n\n", "# nothing but a comment\n"])
    func emptyFile(yaml: String) throws {
        let error = try ConfigFixtures.agentError(yaml)
        expectConfigError(error, line: 1, column: 1, keyPath: "", message: "the configuration is empty")
        let collectorError = try ConfigFixtures.collectorError(yaml)
        expectConfigError(
            collectorError,
            file: "collector.yaml",
            line: 1,
            column: 1,
            keyPath: "",
            message: "the configuration is empty"
        )
    }

    @Test("document with an empty root node")
    func emptyRoot() throws {
        let error = try ConfigFixtures.agentError("---\n")
        #expect(error.message == "the configuration is empty")
        #expect(error.line >= 1)
    }

    @Test("a list at the top level")
    func listAtTopLevel() throws {
        let error = try ConfigFixtures.agentError("- agent\n")
        expectConfigError(error, line: 1, column: 1, keyPath: "", message: "expected a mapping")
    }

    @Test("unreadable file is reported at line 0")
    func missingFile() throws {
        let path = "/nonexistent-lepton-\(UInt64.random(in: 0...UInt64.max))/agent.yaml"
        let error = try #require(throws: ConfigError.self) { try AgentConfig.load(path: path) }
        #expect(error.file == path)
        #expect(error.line == 0)
        #expect(error.keyPath == "")
        #expect(error.message == "cannot read \(path): No such file or directory")
        #expect(error.description == "\(path): cannot read \(path): No such file or directory")

        let collectorError = try #require(throws: ConfigError.self) { try CollectorConfig.load(path: path) }
        #expect(collectorError.line == 0)
    }

    @Test("a directory is not a configuration file")
    func directory() throws {
        let error = try #require(throws: ConfigError.self) { try AgentConfig.load(path: "/") }
        #expect(error.line == 0)
        #expect(error.message.contains("cannot read /"))
    }
}
