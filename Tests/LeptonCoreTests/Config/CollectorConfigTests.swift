import Logging
import Testing

@testable import LeptonCore

@Suite("CollectorConfig")
struct CollectorConfigTests {
    @Test("parses every key")
    func parsesEveryKey() throws {
        let yaml = """
            listen: 0.0.0.0:0
            tls:
              ca: ca.pem
              cert: certs/collector.pem
              key: /secure/collector-key.pem
            http: { listen: "[::1]:9480" }
            storage: { type: sqlite, path: data/lepton.db }
            limits:
              max_frame_bytes: 1MiB
              max_batch_raw_bytes: 4MiB
              credit_window_bytes: 2MiB
              heartbeat: 1500ms
              handshake_timeout: 2s
              shutdown_timeout: 0s
            log: { level: warning }

            """
        let config = try ConfigFixtures.collector(yaml)
        #expect(config.listen == HostPort(host: "0.0.0.0", port: 0))
        #expect(
            config.tls
                == TLSFiles(
                    ca: "/etc/lepton/ca.pem",
                    cert: "/etc/lepton/certs/collector.pem",
                    key: "/secure/collector-key.pem"
                )
        )
        #expect(config.httpListen == HostPort(host: "::1", port: 9_480))
        #expect(config.storage == .sqlite(path: "/etc/lepton/data/lepton.db"))
        let expectedLimits = CollectorConfig.Limits(
            maxFrameBytes: 1 << 20,
            maxBatchRawBytes: 4 << 20,
            creditWindowBytes: 2 << 20,
            heartbeat: .milliseconds(1500),
            handshakeTimeout: .seconds(2),
            shutdownTimeout: .zero
        )
        #expect(config.limits == expectedLimits)
        #expect(config.logLevel == .warning)
    }

    @Test("applies defaults")
    func defaults() throws {
        let config = try ConfigFixtures.collector(ConfigFixtures.minimalCollector)
        #expect(config.limits == CollectorConfig.Limits())
        #expect(config.limits.maxFrameBytes == 8 << 20)
        #expect(config.limits.maxBatchRawBytes == 16 << 20)
        #expect(config.limits.creditWindowBytes == 16 << 20)
        #expect(config.limits.heartbeat == .seconds(15))
        #expect(config.limits.handshakeTimeout == .seconds(10))
        #expect(config.limits.shutdownTimeout == .seconds(10))
        #expect(config.logLevel == .info)
    }

    @Test("credit window below the frame limit points at credit_window_bytes")
    func creditWindowBelowFrame() throws {
        let yaml = ConfigFixtures.minimalCollector + "limits:\n  max_frame_bytes: 32MiB\n  credit_window_bytes: 16MiB\n"
        let error = try ConfigFixtures.collectorError(yaml)
        expectConfigError(
            error,
            file: "collector.yaml",
            line: 7,
            column: 24,
            keyPath: "limits.credit_window_bytes",
            message: "credit_window_bytes (16MiB) must be at least max_frame_bytes (32MiB)"
        )
    }

    @Test("frame limit above the default credit window points at max_frame_bytes")
    func frameAboveDefaultCreditWindow() throws {
        let yaml = ConfigFixtures.minimalCollector + "limits:\n  max_frame_bytes: 32MiB\n"
        let error = try ConfigFixtures.collectorError(yaml)
        expectConfigError(
            error,
            file: "collector.yaml",
            line: 6,
            column: 20,
            keyPath: "limits.max_frame_bytes",
            message: "must be at least max_frame_bytes"
        )
    }

    @Test("frame limit below the protocol minimum")
    func frameBelowMinimum() throws {
        let yaml = ConfigFixtures.minimalCollector + "limits:\n  max_frame_bytes: 1KiB\n"
        let error = try ConfigFixtures.collectorError(yaml)
        expectConfigError(
            error,
            file: "collector.yaml",
            line: 6,
            column: 20,
            keyPath: "limits.max_frame_bytes",
            message: "must be between 64KiB and"
        )
    }

    @Test("unknown storage type lists the allowed values")
    func unknownStorageType() throws {
        let yaml = ConfigFixtures.minimalCollector.replacing("type: sqlite", with: "type: mysql")
        let error = try ConfigFixtures.collectorError(yaml)
        expectConfigError(
            error,
            file: "collector.yaml",
            line: 4,
            column: 18,
            keyPath: "storage.type",
            message: "unknown storage type 'mysql'; expected one of: sqlite, postgres"
        )
    }

    @Test("missing http section")
    func missingHTTP() throws {
        let yaml = ConfigFixtures.minimalCollector.replacing("http: { listen: 127.0.0.1:9480 }\n", with: "")
        let error = try ConfigFixtures.collectorError(yaml)
        expectConfigError(
            error,
            file: "collector.yaml",
            line: 1,
            column: 1,
            keyPath: "http",
            message: "missing required key 'http'"
        )
    }

    @Test("unknown key inside limits")
    func unknownLimitKey() throws {
        let yaml = ConfigFixtures.minimalCollector + "limits:\n  heartbeat_interval: 5s\n"
        let error = try ConfigFixtures.collectorError(yaml)
        expectConfigError(
            error,
            file: "collector.yaml",
            line: 6,
            column: 3,
            keyPath: "limits.heartbeat_interval",
            message: "unknown key 'heartbeat_interval'"
        )
    }

    @Test("zero heartbeat")
    func zeroHeartbeat() throws {
        let yaml = ConfigFixtures.minimalCollector + "limits:\n  heartbeat: 0s\n"
        let error = try ConfigFixtures.collectorError(yaml)
        expectConfigError(
            error,
            file: "collector.yaml",
            line: 6,
            column: 14,
            keyPath: "limits.heartbeat",
            message: "must be greater than 0"
        )
    }
}
