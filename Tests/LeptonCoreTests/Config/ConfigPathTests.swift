import Foundation
import Testing

@testable import LeptonCore

@Suite("Configuration paths")
struct ConfigPathTests {
    @Test(
        "relative paths resolve against the base folder, absolute paths stay",
        arguments: [
            ("ca.pem", "/etc/lepton/ca.pem"),
            ("./agents/edge.pem", "/etc/lepton/agents/edge.pem"),
            ("../shared/ca.pem", "/etc/shared/ca.pem"),
            ("/var/lib/lepton-agent", "/var/lib/lepton-agent"),
            ("/var//lib/./x/../lepton-agent/", "/var/lib/lepton-agent"),
        ]
    )
    func resolve(path: String, expected: String) {
        #expect(ConfigPath.resolve(path, against: "/etc/lepton") == expected)
    }

    @Test(
        "normalisation keeps leading .. of relative paths",
        arguments: [("a/../../b", "../b"), ("/..", "/"), (".", "."), ("/a/b/../../..", "/")]
    )
    func normalize(path: String, expected: String) {
        #expect(ConfigPath.normalize(path) == expected)
    }

    @Test("a relative configuration file lives in the current directory")
    func directoryOfRelativeFile() {
        let current = ConfigPath.normalize(FileManager.default.currentDirectoryPath)
        #expect(ConfigPath.directory(of: "agent.yaml") == current)
        #expect(ConfigPath.directory(of: "/etc/lepton/agent.yaml") == "/etc/lepton")
        #expect(ConfigPath.directory(of: "/agent.yaml") == "/")
    }

    @Test("load resolves relative paths against the file's folder")
    func loadResolvesAgainstFileFolder() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let path = try folder.write("agent.yaml", Self.agentYAML)
        let config = try AgentConfig.load(path: path)
        #expect(config.agent.stateDirectory == "\(folder.path)/state")
        #expect(config.collector.tls.ca == "\(folder.path)/ca.pem")
        #expect(config.collector.tls.cert == "\(folder.path)/certs/edge.pem")
        #expect(config.collector.tls.key == "/nonexistent/edge-key.pem")
        #expect(config.sources[0].kind == .file(path: "\(folder.path)/app.log", parser: .text))
    }

    @Test("checkFiles reports an unreadable TLS file at its key")
    func checkFiles() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let yaml = Self.agentYAML.replacing("/nonexistent/edge-key.pem", with: "key.pem")
        let path = try folder.write("agent.yaml", yaml)
        _ = try folder.write("certs/edge.pem", "cert")
        _ = try folder.write("key.pem", "key")

        // Without the check, missing files are fine: the configuration itself is valid.
        _ = try AgentConfig.load(path: path)

        let error = try #require(throws: ConfigError.self) { try AgentConfig.load(path: path, checkFiles: true) }
        #expect(error.file == path)
        #expect(error.line == 7)
        #expect(error.column == 9)
        #expect(error.keyPath == "collector.tls.ca")
        #expect(error.message == "cannot read \(folder.path)/ca.pem: No such file or directory")

        _ = try folder.write("ca.pem", "ca")
        let config = try AgentConfig.load(path: path, checkFiles: true)
        #expect(config.collector.tls.ca == "\(folder.path)/ca.pem")
    }

    @Test("checkFiles applies to the collector's TLS files")
    func collectorCheckFiles() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let path = try folder.write("collector.yaml", ConfigFixtures.minimalCollector)
        _ = try folder.write("ca.pem", "ca")
        let error = try #require(throws: ConfigError.self) { try CollectorConfig.load(path: path, checkFiles: true) }
        #expect(error.keyPath == "tls.cert")
        #expect(error.line == 2)
        #expect(error.message.hasSuffix("/collector.pem: No such file or directory"))
    }

    /// An agent configuration whose `collector.tls.ca` value sits at line 7, column 9.
    static let agentYAML = """
        agent:
          id: edge-01
          state_dir: state
        collector:
          address: 127.0.0.1:7443
          tls:
            ca: ca.pem
            cert: certs/edge.pem
            key: /nonexistent/edge-key.pem
        sources:
          - { type: file, name: app, path: app.log }

        """
}

/// A fresh folder under the system's temporary directory.
struct ConfigTestFolder {
    let path: String

    init() throws {
        let base = ConfigPath.normalize(FileManager.default.temporaryDirectory.path)
        path = "\(base)/lepton-config-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `contents` to `name` (creating folders) and returns the file's path.
    func write(_ name: String, _ contents: String) throws -> String {
        let file = "\(path)/\(name)"
        let folder = ConfigPath.directory(of: file)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try contents.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
