import ArgumentParser
import Foundation
import LeptonCollector
import LeptonCore
import LeptonRuntime
import Logging

@main
struct LeptonCollectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lepton-collector",
        abstract: "Accepts Lepton agents over mutual TLS, stores their data and serves it over HTTP.",
        subcommands: [Run.self, Check.self, Certs.self, Query.self, Tail.self]
    )
}

struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Path of the collector's YAML configuration file.")
    var config: String

    @Option(
        name: .customLong("log-level"),
        help:
            "Log level, overriding the configuration's log.level: trace, debug, info, notice, warning, error, critical."
    )
    var logLevel: Logger.Level?

    /// The configuration, or a printed error naming file, line and key and a non-zero exit.
    func load(checkFiles: Bool) throws -> CollectorConfig {
        do {
            return try CollectorConfig.load(path: config, checkFiles: checkFiles)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the collector until SIGTERM or SIGINT (graceful: in-flight batches are committed first); "
            + "SIGHUP reloads the certificates and the log level."
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try options.load(checkFiles: true)
        LogfmtLogHandler.bootstrap(level: options.logLevel ?? config.logLevel)
        let logger = Logger(label: "lepton.collector")
        let collector: Collector
        do {
            collector = try Collector(config: config, logger: logger)
            try await collector.sink.open()
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let (path, level) = (options.config, options.logLevel)
        try await collector.serviceGroup(
            shutdownTimeout: config.limits.shutdownTimeout,
            notifier: SystemdNotifier.fromProcessEnvironment(),
            reload: { collector.reload(from: path, logLevel: level) },
            logger: logger
        ).run()
        logger.info("stopped")
    }
}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a configuration file (and the files it names) without starting; exit 0 when valid."
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try options.load(checkFiles: true)
        do {
            _ = try LeptonTLS.serverContext(config.tls)
        } catch {
            printError("error: \(options.config): tls: \(error)")
            throw ExitCode(2)
        }
        print("\(options.config): ok")
    }
}

struct Certs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a private CA and the certificates of the collector and its agents.",
        subcommands: [Init.self, Issue.self]
    )

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create DIR/ca.pem, DIR/ca-key.pem, DIR/collector.pem and DIR/collector-key.pem."
        )

        @Option(name: .long, help: "Directory to write the certificates and keys to (created if missing).")
        var dir: String

        @Option(
            name: .customLong("host"),
            help:
                "A name or IP address agents use to reach the collector; repeat for several (default: 127.0.0.1, localhost)."
        )
        var hosts: [String] = []

        @Flag(name: .long, help: "Replace an existing CA (every agent certificate it issued stops working).")
        var force = false

        func run() async throws {
            do {
                let layout = try CertificateAuthority.initialize(
                    directory: dir,
                    hosts: hosts.isEmpty ? CertificateAuthority.defaultHosts : hosts,
                    force: force
                )
                print(
                    "wrote \(layout.caCertificate), \(layout.caKey), \(layout.collectorCertificate), \(layout.collectorKey)"
                )
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue DIR/agents/NAME.pem and DIR/agents/NAME-key.pem for one agent, signed by the CA in DIR."
        )

        @Option(name: .long, help: "Directory holding ca.pem and ca-key.pem (from `certs init`).")
        var dir: String

        @Option(name: .long, help: "The agent's id (its `agent.id`): letters, digits, '.', '_' or '-'.")
        var agent: String

        @Flag(name: .long, help: "Replace an existing certificate for this agent.")
        var force = false

        func run() async throws {
            do {
                let paths = try CertificateAuthority.issueAgent(directory: dir, agent: agent, force: force)
                print("wrote \(paths.certificate), \(paths.key)")
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
        }
    }
}

/// The collector's HTTP address, for the commands that read its API.
struct APIOption: ParsableArguments {
    @Option(name: .long, help: "The collector's HTTP API (its http.listen address).")
    var url = "http://127.0.0.1:9480"

    func client() throws -> CollectorClient {
        do {
            return try CollectorClient(url: url)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}

struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print one stream's records, or its statistics per interval with --step, as a table or JSON."
    )

    @OptionGroup var api: APIOption

    @Option(help: "Agent id.")
    var agent: String

    @Option(help: "Stream (series key, as /api/v1/streams lists it).")
    var stream: String

    @Option(help: "From this time: nanoseconds since the epoch.")
    var from: Int64?

    @Option(help: "From this long ago, like 1h or 7d (instead of --from).")
    var since: String?

    @Option(help: "Up to this time: nanoseconds since the epoch.")
    var to: Int64?

    @Option(help: "One line per interval of this length (1m, 1h…) instead of one per record.")
    var step: String?

    @Option(help: "With --step: count, min, max, sum, mean or last.")
    var agg: String?

    @Option(help: "Without --step: at most this many records.")
    var limit: Int?

    @Flag(help: "Print the API's JSON instead of a table.")
    var json = false

    func validate() throws {
        if since != nil && from != nil { throw ValidationError("give --from or --since, not both") }
        if let since, (try? Duration(configString: since)) == nil {
            throw ValidationError("--since must be a duration like 1h or 7d")
        }
    }

    func run() async throws {
        let client = try api.client()
        var start = from
        if let since, let ago = try? Duration(configString: since) {
            start = wallClockNanoseconds() - ago.components.seconds * 1_000_000_000
        }
        let path = CollectorClient.path(
            "/api/v1/query",
            [
                ("agent", agent), ("stream", stream), ("from", start.map(String.init)), ("to", to.map(String.init)),
                ("step", step), ("agg", agg), ("limit", limit.map(String.init)),
            ]
        )
        do {
            let (status, body) = try client.get(path)
            guard status == 200 else {
                printError("error: HTTP \(status): \(body.trimmingWhitespace)")
                throw ExitCode(1)
            }
            if json {
                print(body, terminator: "")
            } else {
                for line in try ClientFormat.queryLines(body) { print(line) }
            }
        } catch let error as CollectorClient.Failure {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}

struct Tail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow the records the collector stores, like tail -f (Ctrl-C to stop)."
    )

    @OptionGroup var api: APIOption

    @Option(help: "Only this agent's records.")
    var agent: String?

    @Option(help: "Only this stream (and its tagged series).")
    var stream: String?

    func run() async throws {
        let client = try api.client()
        let path = CollectorClient.path("/api/v1/tail", [("agent", agent), ("stream", stream)])
        var pending = ""
        var dropped = false
        do {
            let status = try client.stream(path) { bytes in
                pending += String(decoding: bytes, as: UTF8.self)
                let (lines, ended) = ClientFormat.tailLines(&pending)
                // Unbuffered, so `tail | grep` sees each record as it comes.
                if !lines.isEmpty { FileHandle.standardOutput.write(Data(lines.map { $0 + "\n" }.joined().utf8)) }
                dropped = ended
                return !ended
            }
            guard status == 200 else {
                printError("error: HTTP \(status)")
                throw ExitCode(1)
            }
        } catch let error as CollectorClient.Failure {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        if dropped {
            printError("tail: the collector dropped this reader: it fell too far behind")
            throw ExitCode(1)
        }
        printError("tail: the collector closed the stream")
    }
}

/// `--log-level` takes the level names of the configuration's `log.level`.
extension Logger.Level: @retroactive ExpressibleByArgument {}
