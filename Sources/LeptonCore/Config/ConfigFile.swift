import Logging

/// A configuration file format: YAML text parsed strictly into a validated value.
public protocol ConfigFile {
    /// `log.level`.
    var logLevel: Logger.Level { get }

    /// Parses and validates configuration text; `file` names it in errors, relative paths resolve against
    /// `baseDirectory`, and with `checkFiles` the files it names must exist and be readable.
    static func parse(yaml: String, file: String, baseDirectory: String, checkFiles: Bool) throws(ConfigError) -> Self
}

extension ConfigFile {
    /// Reads and validates the configuration file at `path`.
    ///
    /// Relative paths inside the file resolve against the file's folder. With `checkFiles` (the `check`
    /// subcommand, and startup), the TLS files must exist and be readable, else the error names their key.
    ///
    /// - Throws: ``ConfigError``; a file that cannot be read is reported at line 0.
    public static func load(path: String, checkFiles: Bool = false) throws(ConfigError) -> Self {
        let yaml = try ConfigDocument.read(path: path)
        return try parse(yaml: yaml, file: path, baseDirectory: ConfigPath.directory(of: path), checkFiles: checkFiles)
    }
}
