import LeptonCore
import Testing

@testable import LeptonAgent

/// Runs lines through an ``EventParser`` named `app`, read at ``readTime``.
enum ParserFixture {
    /// The read time every test line gets.
    static let readTime: Int64 = 1_700_000_000_000_000_000

    /// The events of `lines`, one per line (nil where the parser skips a line), through one parser.
    static func events(_ config: ParserConfig, _ lines: [String]) throws -> [Event?] {
        var parser = EventParser(config: config, name: "app")
        var events: [Event?] = []
        for line in lines {
            let event = try parser.parse(line, readTime: readTime)
            events.append(event)
        }
        return events
    }

    /// The event of one line, which must not be skipped.
    static func event(
        _ config: ParserConfig,
        _ line: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Event {
        var parser = EventParser(config: config, name: "app")
        let event = try parser.parse(line, readTime: readTime)
        return try #require(event, sourceLocation: sourceLocation)
    }

    /// The error of the last of `lines`; the lines before it must parse.
    static func error(
        _ config: ParserConfig,
        _ lines: String...,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ParseError {
        var parser = EventParser(config: config, name: "app")
        for line in lines.dropLast() {
            _ = try parser.parse(line, readTime: readTime)
        }
        let last = lines.last ?? ""
        do throws(ParseError) {
            _ = try parser.parse(last, readTime: readTime)
        } catch {
            return error
        }
        Issue.record("expected a parse error for: \(last)", sourceLocation: sourceLocation)
        return ParseError("(no error)")
    }

    /// The events and errors of a command's whole output.
    static func document(_ config: ParserConfig, _ text: String) -> (events: [Event], errors: [ParseError]) {
        var parser = EventParser(config: config, name: "app")
        return parser.parse(document: text, readTime: readTime)
    }

    /// An event read at ``readTime`` unless `timestamp` says otherwise.
    static func expected(
        name: String = "app",
        timestamp: Int64 = ParserFixture.readTime,
        tags: Tags = Tags(),
        _ fields: [(String, FieldValue)]
    ) -> Event {
        Event(name: name, timestamp: timestamp, tags: tags, fields: fields.map { Event.Field($0.0, $0.1) })
    }
}

/// Checks that a parse error's message contains each of `parts`.
func expectMessage(
    _ error: ParseError,
    contains parts: String...,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    for part in parts {
        #expect(error.message.contains(part), "\(error.message)", sourceLocation: sourceLocation)
    }
}
