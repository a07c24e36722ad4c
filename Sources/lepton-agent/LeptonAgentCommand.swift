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
        subcommands: [Run.self, Check.self]
    )
}

struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Path of the agent's YAML configuration file.")
    var config: String

    /// The configuration, or a printed error naming file, line and key and a non-zero exit.
    func load() throws -> AgentConfig {
        do {
            return try AgentConfig.load(path: config, checkFiles: true)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the agent until SIGTERM or SIGINT, or until stdin ends and everything read was acknowledged."
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try options.load()
        LogfmtLogHandler.bootstrap(level: config.logLevel)
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
        try await agent.serviceGroup(
            gracefulShutdownLimit: limit,
            notifier: SystemdNotifier.fromProcessEnvironment(),
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
