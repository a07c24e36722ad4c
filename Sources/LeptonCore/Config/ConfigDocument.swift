import Yams

/// Reads a configuration file and turns its YAML into a root ``ConfigNode``, converting every failure into a
/// positioned ``ConfigError``.
enum ConfigDocument {
    /// The text of the configuration file at `path`; a file that cannot be read is an error at line 0.
    static func read(path: String) throws(ConfigError) -> String {
        switch ConfigPath.readText(path) {
        case .success(let text):
            return text
        case .failure(let problem):
            throw ConfigError(file: path, line: 0, column: 0, keyPath: "", message: "cannot read \(path): \(problem)")
        }
    }

    /// The root node of `yaml`, which must be a single, non-empty document.
    static func root(yaml: String, source: ConfigSource) throws(ConfigError) -> ConfigNode {
        let parsed: Node?
        do {
            parsed = try Yams.compose(yaml: yaml)
        } catch {
            throw syntaxError(error, yaml: yaml, file: source.file)
        }
        guard let composed = parsed else {
            throw ConfigError(
                file: source.file,
                line: 1,
                column: 1,
                keyPath: "",
                message: "the configuration is empty"
            )
        }
        let root = ConfigNode(node: composed, keyPath: "", source: source)
        if root.isNull { throw root.error("the configuration is empty") }
        return root
    }

    /// A ``ConfigError`` at the position Yams reports for a syntax error.
    static func syntaxError(_ error: any Error, yaml: String, file: String) -> ConfigError {
        func located(_ line: Int, _ column: Int, _ message: String) -> ConfigError {
            ConfigError(file: file, line: line, column: column, keyPath: "", message: message)
        }
        guard let yamlError = error as? YamlError else {
            return ConfigError(file: file, line: 0, column: 0, keyPath: "", message: "invalid YAML: \(error)")
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "invalid YAML: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            return located(mark.line, mark.column, message)
        case .reader(let problem, let offset, _, _):
            let (line, column) = offset.map { position(ofCharacterOffset: $0, in: yaml) } ?? (0, 0)
            return located(line, column, "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return located(context.mark.line, context.mark.column, "duplicate key \(keys) in the same mapping")
        default:
            return ConfigError(file: file, line: 0, column: 0, keyPath: "", message: "invalid YAML: \(yamlError)")
        }
    }

    /// 1-based line and column of the character at `offset` (counted in `Character`s, as Yams does).
    static func position(ofCharacterOffset offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for character in text.prefix(offset) {
            if character.isNewline {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}
