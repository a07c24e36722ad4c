import Testing

@testable import LeptonCore

/// YAML documents and helpers shared by the configuration tests.
enum ConfigFixtures {
    /// The smallest valid agent configuration; line numbers below refer to it.
    static let minimalAgent = """
        agent:
          id: edge-01
          state_dir: /var/lib/lepton-agent
        collector:
          address: 127.0.0.1:7443
          tls: { ca: ca.pem, cert: edge.pem, key: edge-key.pem }
        sources:
          - { type: sensor, name: load, paths: [/proc/loadavg] }

        """

    /// The smallest valid collector configuration.
    static let minimalCollector = """
        listen: 127.0.0.1:7443
        tls: { ca: ca.pem, cert: collector.pem, key: collector-key.pem }
        http: { listen: 127.0.0.1:9480 }
        storage: { type: sqlite, path: /var/lib/lepton-collector/lepton.db }

        """

    /// The root node of `yaml` read as `agent.yaml` in `/etc/lepton`, for tests of one section's decoder.
    static func root(_ yaml: String) throws -> ConfigNode {
        let source = ConfigSource(file: "agent.yaml", baseDirectory: "/etc/lepton", checkFiles: false)
        return try ConfigDocument.root(yaml: yaml, source: source)
    }

    /// Parses agent YAML as `agent.yaml` in `/etc/lepton`.
    static func agent(_ yaml: String) throws -> AgentConfig {
        try AgentConfig.parse(yaml: yaml, file: "agent.yaml", baseDirectory: "/etc/lepton")
    }

    /// Parses collector YAML as `collector.yaml` in `/etc/lepton`.
    static func collector(_ yaml: String) throws -> CollectorConfig {
        try CollectorConfig.parse(yaml: yaml, file: "collector.yaml", baseDirectory: "/etc/lepton")
    }

    /// The error of agent YAML that must not parse.
    static func agentError(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ConfigError {
        try #require(throws: ConfigError.self, sourceLocation: sourceLocation) {
            try AgentConfig.parse(yaml: yaml, file: "agent.yaml", baseDirectory: "/etc/lepton")
        }
    }

    /// The error of collector YAML that must not parse.
    static func collectorError(
        _ yaml: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ConfigError {
        try #require(throws: ConfigError.self, sourceLocation: sourceLocation) {
            try CollectorConfig.parse(yaml: yaml, file: "collector.yaml", baseDirectory: "/etc/lepton")
        }
    }
}

/// Checks every part of a configuration error's location, and that the message contains `message`.
func expectConfigError(
    _ error: ConfigError,
    file: String = "agent.yaml",
    line: Int,
    column: Int,
    keyPath: String,
    message: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(error.file == file, sourceLocation: sourceLocation)
    #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
    #expect(error.column == column, "\(error)", sourceLocation: sourceLocation)
    #expect(error.keyPath == keyPath, "\(error)", sourceLocation: sourceLocation)
    #expect(error.message.contains(message), "\(error)", sourceLocation: sourceLocation)
}
