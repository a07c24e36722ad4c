/// The collector's `storage` section: where accepted records are written.
public enum StorageConfig: Sendable, Hashable {
    /// A SQLite database file (`type: sqlite`).
    case sqlite(path: String)
}

extension StorageConfig {
    /// The values of the `type` key.
    enum StorageType: String, CaseIterable {
        case sqlite
    }

    static let keys = ["type", "path"]

    init(config node: ConfigNode) throws(ConfigError) {
        let map = try node.mapping(allowedKeys: Self.keys)
        let type = try map.required("type").choice(StorageType.self, what: "storage type")
        switch type {
        case .sqlite:
            let path = try map.required("path").path()
            self = .sqlite(path: path)
        }
    }
}
