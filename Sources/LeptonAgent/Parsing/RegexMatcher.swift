/// Reads `regex` lines: the first match of the pattern (which carries its own `^`/`$` anchors) in the line; each
/// named group that took part in the match becomes a field.
///
/// A class so that one compiled pattern serves every copy of the parser. `Regex` is not `Sendable`, but this
/// instance never changes after `init` and matching does not mutate it: the only state inside a `Regex` is its
/// lowered program, which the standard library creates once and publishes atomically. Hence `@unchecked`.
final class RegexMatcher: @unchecked Sendable {
    private let regex: Regex<AnyRegexOutput>

    /// Compiles `pattern`; the configuration has already checked it, so an error here means a parser built in code.
    init(pattern: String) throws(ParseError) {
        let compiled: Regex<AnyRegexOutput>
        do {
            compiled = try Regex(pattern)
        } catch {
            throw ParseError("invalid regular expression: \(error)")
        }
        regex = compiled
    }

    /// The event of one line; a line that does not match is an error.
    func parse(_ line: String, rules: FieldRules, name: String, readTime: Int64) throws(ParseError) -> Event {
        guard let match = try? regex.firstMatch(in: line) else {
            throw ParseError("the line does not match the pattern: \(ByteText.quoted(line))")
        }
        var builder = EventBuilder(rules: rules)
        for group in match.output {
            guard let groupName = group.name, var text = group.substring else { continue }
            text.withUTF8 { bytes in builder.add(groupName, inferred: bytes, 0..<bytes.count) }
        }
        return try builder.event(name: name, readTime: readTime)
    }
}
