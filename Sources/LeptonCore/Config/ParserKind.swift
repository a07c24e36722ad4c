/// How a `file` or `stdin` source turns each line into a record value.
public enum ParserKind: String, Sendable, Hashable, CaseIterable {
    /// The line is kept as text.
    case text
    /// The line is read as a decimal number.
    case number
}
