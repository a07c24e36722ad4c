/// The `agent` section: who this agent is and where it keeps its state.
public struct AgentIdentity: Sendable, Hashable {
    /// Agent identifier, 1 to 128 characters from `A-Z a-z 0-9 . _ -`.
    public var id: String
    /// Absolute folder for the agent's persistent state (spool, offsets).
    public var stateDirectory: String

    public init(id: String, stateDirectory: String) {
        self.id = id
        self.stateDirectory = stateDirectory
    }
}

extension AgentIdentity {
    static let keys = ["id", "state_dir"]

    init(config node: ConfigNode) throws(ConfigError) {
        let map = try node.mapping(allowedKeys: Self.keys)
        let id = try map.required("id").identifier(maxLength: 128, what: "agent id")
        let stateDirectory = try map.required("state_dir").path()
        self.init(id: id, stateDirectory: stateDirectory)
    }
}
