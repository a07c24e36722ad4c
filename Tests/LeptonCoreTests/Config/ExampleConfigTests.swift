import Foundation
import Logging
import Testing

@testable import LeptonCore

/// The example configurations shipped in the repository must stay valid.
@Suite("Example configurations")
struct ExampleConfigTests {
    /// The package root: this file is `Tests/LeptonCoreTests/Config/ExampleConfigTests.swift`.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return ConfigPath.normalize(url.path)
    }()

    @Test("agent-config/agent.yaml loads")
    func agentExample() throws {
        let path = "\(Self.packageRoot)/agent-config/agent.yaml"
        let config = try AgentConfig.load(path: path)
        #expect(config.agent.id == "edge-01")
        #expect(config.agent.stateDirectory == "/var/lib/lepton-agent")
        #expect(config.collector.address == HostPort(host: "127.0.0.1", port: 7_443))
        #expect(config.collector.tls.ca == "\(Self.packageRoot)/agent-config/ca.pem")
        #expect(config.sources.map(\.name) == ["load", "memory", "app"])
        #expect(config.sources.map(\.whenFull) == [.dropOldest, .dropOldest, .block])
        #expect(config.sources[2].kind == .file(path: "/var/log/app.log", parser: .text, startAt: .beginning))
        #expect(config.admin != nil)
    }

    @Test("agent.yaml installed in /etc/lepton resolves TLS files there")
    func agentExampleInstalled() throws {
        let path = "\(Self.packageRoot)/agent-config/agent.yaml"
        let yaml = try String(contentsOfFile: path, encoding: .utf8)
        let config = try AgentConfig.parse(yaml: yaml, file: "/etc/lepton/agent.yaml", baseDirectory: "/etc/lepton")
        #expect(
            config.collector.tls
                == TLSFiles(
                    ca: "/etc/lepton/ca.pem",
                    cert: "/etc/lepton/agents/edge-01.pem",
                    key: "/etc/lepton/agents/edge-01-key.pem"
                )
        )
        // The example spells out every default; it must agree with the code.
        #expect(config.collector.reconnectInitial == CollectorLink.defaultReconnectInitial)
        #expect(config.collector.reconnectMax == CollectorLink.defaultReconnectMax)
        #expect(config.collector.shutdownTimeout == CollectorLink.defaultShutdownTimeout)
        #expect(config.batch == BatchConfig())
        #expect(config.spool == SpoolConfig())
        for source in config.sources {
            #expect(source.whenFull == SourceConfig.defaultWhenFull(for: source.kind))
        }
        #expect(config.logLevel == .info)
    }

    @Test(
        "every example in agent-config/ loads",
        arguments: ["agent.yaml", "sensor-box.yaml", "log-box.yaml", "stdin-pipeline.yaml"]
    )
    func everyAgentExample(_ name: String) throws {
        let config = try AgentConfig.load(path: "\(Self.packageRoot)/agent-config/\(name)")
        #expect(!config.sources.isEmpty)
    }

    @Test("the sensor box example reduces at the edge")
    func sensorBox() throws {
        let config = try AgentConfig.load(path: "\(Self.packageRoot)/agent-config/sensor-box.yaml")
        #expect(config.sources.map(\.typeName) == ["sensor", "sensor", "sensor", "sensor", "exec"])
        #expect(config.sources[0].processors.map(\.typeName) == ["fields", "deadband"])
        guard case .sensor(let thermal) = config.sources[0].kind else {
            Issue.record("thermal is not a sensor source")
            return
        }
        #expect(thermal.labelFrom == "type")
        #expect(thermal.scale == 0.001)
        guard case .sensor(let net) = config.sources[3].kind else {
            Issue.record("net is not a sensor source")
            return
        }
        #expect(net.mode == .rate)
        #expect(config.sources[3].fidelity.map(\.name) == ["raw", "aggregate 10s", "aggregate 1m"])
        #expect(config.sources[3].priority == -5)
        #expect(config.sources[0].priority == 10)
    }

    @Test("collector-config/collector.yaml loads")
    func collectorExample() throws {
        let path = "\(Self.packageRoot)/collector-config/collector.yaml"
        let config = try CollectorConfig.load(path: path)
        #expect(config.listen == HostPort(host: "127.0.0.1", port: 7_443))
        #expect(config.httpListen == HostPort(host: "127.0.0.1", port: 9_480))
        #expect(config.tls.key == "\(Self.packageRoot)/collector-config/collector-key.pem")
        #expect(config.storage == .sqlite(path: "/var/lib/lepton-collector/lepton.db"))
        // The example spells out every default; it must agree with the code.
        #expect(config.limits == CollectorConfig.Limits())
        #expect(config.logLevel == .info)
    }
}
