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
        let parsed: YAMLNode?
        do {
            parsed = try YAMLComposer.compose(yaml)
        } catch {
            throw ConfigError(
                file: source.file,
                line: error.line,
                column: error.column,
                keyPath: "",
                message: error.message
            )
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
}
