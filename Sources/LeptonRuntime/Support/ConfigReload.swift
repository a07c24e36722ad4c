import LeptonCore
import Logging

/// What a SIGHUP does in both programs: reads the configuration file at `path` again (validated as at startup,
/// files included), hands it to `apply` (which returns the sections that changed but need a restart, or throws
/// if it cannot take the new file, e.g. unreadable certificates), then sets the log level to `logLevel` (the
/// command line's `--log-level`) or the file's. An invalid file or a throwing `apply` changes nothing and is
/// logged with file, line and key. Returns whether the file was applied.
public func reloadConfiguration<Config: ConfigFile>(
    _ type: Config.Type,
    from path: String,
    logLevel: Logger.Level?,
    logger: Logger,
    apply: (Config) throws -> [String]
) -> Bool {
    do {
        let config = try Config.load(path: path, checkFiles: true)
        let needsRestart = try apply(config)
        LogfmtLogHandler.setLevel(logLevel ?? config.logLevel)
        logger.info("configuration reloaded", metadata: ["path": "\(path)"])
        if !needsRestart.isEmpty {
            logger.warning(
                "changed settings take effect at the next start",
                metadata: ["sections": "\(needsRestart.joined(separator: ","))"]
            )
        }
        return true
    } catch {
        logger.error(
            "reload failed; the running configuration stays",
            metadata: ["path": "\(path)", "error": "\(error)"]
        )
        return false
    }
}
