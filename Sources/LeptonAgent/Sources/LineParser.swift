import LeptonCore

/// Turns one line into a record value (`parser:` of file and stdin sources).
struct LineParser: Sendable {
    let kind: ParserKind

    /// The value of `line`, or nil when it does not parse (the caller counts it).
    func value(of line: String) -> Record.Value? {
        switch kind {
        case .text:
            return .text(line)
        case .number:
            return Double(line.trimmingWhitespace).map { .number($0) }
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line breaks.
    var trimmingWhitespace: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0.isNewline }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return Substring(self[first...last])
    }
}
