import LeptonCore

/// Turns what a source reads into ``Event``s, as its `parser:` settings say (docs/parsers.md).
///
/// One parser belongs to one source. The only state it keeps is the header of a `csv` parser without `columns`,
/// read from the first line.
struct EventParser: Sendable {
    let config: ParserConfig
    /// The name of the events: the source's name (an influx line names its own measurement instead).
    let name: String
    private let rules: FieldRules
    private var format: Format

    /// The reader of each format, ready to use.
    private enum Format: Sendable {
        case text
        case number
        case json
        case csv(CSVParser)
        case logfmt
        case influx(InfluxParser)
        case regex(RegexMatcher)
        /// A regex parser whose pattern does not compile (only possible for a configuration built in code).
        case invalid(ParseError)
    }

    init(config: ParserConfig, name: String) {
        self.config = config
        self.name = name
        rules = FieldRules(config)
        switch config.kind {
        case .text:
            format = .text
        case .number:
            format = .number
        case .json:
            format = .json
        case .csv(let columns, let delimiter):
            format = .csv(CSVParser(columns: columns, delimiter: delimiter))
        case .logfmt:
            format = .logfmt
        case .influx(let precision):
            format = .influx(InfluxParser(precision: precision))
        case .regex(let pattern):
            do throws(ParseError) {
                let matcher = try RegexMatcher(pattern: pattern)
                format = .regex(matcher)
            } catch {
                format = .invalid(error)
            }
        }
    }

    /// The event of one line read at `readTime` (nanoseconds since the epoch).
    ///
    /// Nil only for a line that is not a record: a csv header (or a repeat of it), a blank line for csv, logfmt,
    /// json and influx, an influx comment (`# ...`).
    mutating func parse(_ line: String, readTime: Int64) throws(ParseError) -> Event? {
        let name = self.name
        let rules = self.rules
        switch format {
        case .text:
            return Event(name: name, timestamp: readTime, fields: [Event.Field(Event.valueField, .text(line))])
        case .number:
            return try line.withUTF8Bytes { (bytes) throws(ParseError) -> Event? in
                let number = ByteText.trimmed(bytes, 0..<bytes.count)
                guard let value = DecimalNumber.parse(bytes, number) else {
                    throw ParseError(
                        number.isEmpty ? "empty line; expected a number" : "\(ByteText.quoted(line)) is not a number"
                    )
                }
                return Event(name: name, timestamp: readTime, fields: [Event.Field(Event.valueField, .number(value))])
            }
        case .json:
            return try line.withUTF8Bytes { (bytes) throws(ParseError) -> Event? in
                try JSONScanner.parseLine(bytes, rules: rules, name: name, readTime: readTime)
            }
        case .csv(var parser):
            defer { format = .csv(parser) }
            return try line.withUTF8Bytes { (bytes) throws(ParseError) -> Event? in
                try parser.parse(bytes, rules: rules, name: name, readTime: readTime)
            }
        case .logfmt:
            return try line.withUTF8Bytes { (bytes) throws(ParseError) -> Event? in
                try LogfmtParser.parse(bytes, rules: rules, name: name, readTime: readTime)
            }
        case .influx(let parser):
            return try line.withUTF8Bytes { (bytes) throws(ParseError) -> Event? in
                try parser.parse(bytes, readTime: readTime)
            }
        case .regex(let matcher):
            return try matcher.parse(line, rules: rules, name: name, readTime: readTime)
        case .invalid(let error):
            throw error
        }
    }

    /// The events of a command's whole output (the exec source), with the errors of what did not parse.
    ///
    /// For json the output is one JSON value, an object (one event) or an array of objects (one event each),
    /// or several such values one after another. Every other format reads it line by line; blank lines are
    /// skipped, and a csv parser without `columns` reads the header from the output's first line each time.
    mutating func parse(document: String, readTime: Int64) -> (events: [Event], errors: [ParseError]) {
        var events: [Event] = []
        var errors: [ParseError] = []
        switch format {
        case .json:
            let name = self.name
            let rules = self.rules
            var text = document
            text.withUTF8 { bytes in
                JSONScanner.parseDocument(
                    bytes,
                    rules: rules,
                    name: name,
                    readTime: readTime,
                    events: &events,
                    errors: &errors
                )
            }
            return (events, errors)
        case .csv(var parser):
            parser.resetHeader()
            format = .csv(parser)
        case .text, .number, .logfmt, .influx, .regex, .invalid:
            break
        }
        for piece in document.utf8.split(separator: ByteText.newline) {
            var line = piece
            if line.last == ByteText.carriageReturn { line = line.dropLast() }
            if line.isEmpty { continue }
            do throws(ParseError) {
                if let event = try parse(String(Substring(line)), readTime: readTime) { events.append(event) }
            } catch {
                errors.append(error)
            }
        }
        return (events, errors)
    }
}
