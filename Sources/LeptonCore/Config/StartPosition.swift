/// Where a tailed file is read from the first time the agent sees it (`start_at` of a `file` source).
///
/// Afterwards the agent resumes from its checkpoint in `state_dir`, whatever this setting says.
public enum StartPosition: String, Sendable, Hashable, CaseIterable {
    /// From the first byte: lines already in the file are shipped.
    case beginning
    /// From the current end: only lines appended after the agent first opens the file are shipped.
    case end
}
