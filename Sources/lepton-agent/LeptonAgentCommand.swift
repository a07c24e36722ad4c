import ArgumentParser
import LeptonAgent
import LeptonCore
import LeptonRuntime
import Logging

@main
struct LeptonAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lepton-agent",
        abstract: "Samples sensors, tails files and reads stdin, then ships the records to a Lepton collector.",
        subcommands: [Run.self, Check.self, PreviewCommand.self]
    )
}

struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Path of the agent's YAML configuration file.")
    var config: String

    @Option(
        name: .customLong("log-level"),
        help:
            "Log level, overriding the configuration's log.level: trace, debug, info, notice, warning, error, critical."
    )
    var logLevel: Logger.Level?

    /// The configuration, or a printed error naming file, line and key and a non-zero exit.
    func load(checkFiles: Bool = true) throws -> AgentConfig {
        do {
            return try AgentConfig.load(path: config, checkFiles: checkFiles)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the agent until SIGTERM or SIGINT, or until stdin ends and everything read was acknowledged; "
            + "SIGHUP reloads the configuration."
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try options.load()
        LogfmtLogHandler.bootstrap(level: options.logLevel ?? config.logLevel)
        var logger = Logger(label: "lepton.agent")
        logger[metadataKey: "agent.id"] = "\(config.agent.id)"
        let agent: Agent
        do {
            agent = try Agent(config: config, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        logger.info(
            "started",
            metadata: ["collector": "\(config.collector.address)", "sources": "\(config.sources.count)"]
        )
        let limit = config.collector.shutdownTimeout + .seconds(5)
        let (path, level) = (options.config, options.logLevel)
        try await agent.serviceGroup(
            gracefulShutdownLimit: limit,
            notifier: SystemdNotifier.fromProcessEnvironment(),
            reload: { agent.reload(from: path, logLevel: level) },
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
        let config = try options.load()
        do {
            _ = try LeptonTLS.clientContext(config.collector.tls)
        } catch {
            printError("error: \(options.config): collector.tls: \(error)")
            throw ExitCode(2)
        }
        print("\(options.config): ok")
    }
}

struct PreviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Run sources and processors without shipping: print the records as they would be sent, then "
            + "records in and out of every processor."
    )

    @OptionGroup var options: ConfigOption

    @Option(help: "Only this source.")
    var source: String?

    @Option(help: "Read this file instead of the source's own input (file, stdin and exec sources).")
    var input: String?

    @Option(name: .customLong("for"), help: "How long to run the sources, like 10s or 1m (ignored with --input).")
    var duration: String = "10s"

    @Option(help: "Run sources with a fidelity ladder at this rung (0 = raw): what they would send under backpressure.")
    var fidelityLevel = 0

    func run() async throws {
        // Previewing needs neither the collector nor its certificates.
        let config = try options.load(checkFiles: false)
        LogfmtLogHandler.bootstrap(level: options.logLevel ?? config.logLevel)
        let logger = Logger(label: "lepton.agent.preview")
        let length: Duration
        do {
            length = try Duration(configString: duration)
        } catch {
            printError("error: --for: \(error)")
            throw ExitCode(2)
        }
        let preview: Preview
        do {
            preview = try Preview(
                config: config,
                source: source,
                input: input,
                duration: length,
                fidelityLevel: fidelityLevel,
                logger: logger
            )
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        try await preview.run { print($0) }
    }
}

/// `--log-level` takes the level names of the configuration's `log.level`.
extension Logger.Level: @retroactive ExpressibleByArgument {}
