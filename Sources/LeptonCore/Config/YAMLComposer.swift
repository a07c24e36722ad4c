import CYAML

/// Builds ``YAMLNode`` trees from libyaml's parse events: one document, aliases resolved, duplicate keys refused.
/// Errors carry libyaml's position and wording, prefixed `invalid YAML:`.
enum YAMLComposer {
    struct Failure: Error, Sendable {
        var line: Int
        var column: Int
        var message: String
    }

    /// Deepest nesting of mappings and lists accepted (a hostile file must not exhaust the stack).
    static let maxDepth = 256

    /// The root of the single document in `text`; nil when the stream holds no document at all.
    static func compose(_ text: String) throws(Failure) -> YAMLNode? {
        let bytes = Array(text.utf8)
        let composer = Composer(bytes: bytes)
        defer { composer.close() }
        return try bytes.withUnsafeBufferPointer { (buffer) throws(Failure) -> YAMLNode? in
            composer.start(buffer)
            return try composer.document()
        }
    }

    /// One libyaml parser over the bytes of one text.
    private final class Composer {
        let bytes: [UInt8]
        var parser = yaml_parser_t()
        var anchors: [String: YAMLNode] = [:]

        init(bytes: [UInt8]) {
            self.bytes = bytes
            yaml_parser_initialize(&parser)
        }

        func close() {
            yaml_parser_delete(&parser)
        }

        func start(_ buffer: UnsafeBufferPointer<UInt8>) {
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
        }

        /// The next event, copied out of libyaml's structure.
        func next() throws(Failure) -> Event {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { throw parserFailure() }
            defer { yaml_event_delete(&event) }
            return Event(event)
        }

        func document() throws(Failure) -> YAMLNode? {
            _ = try next()  // stream start
            let first = try next()
            guard first.type == YAML_DOCUMENT_START_EVENT else { return nil }
            let root = try node(from: try next(), depth: 0)
            _ = try next()  // document end
            let after = try next()
            if after.type != YAML_STREAM_END_EVENT {
                throw Failure(
                    line: after.mark.line,
                    column: after.mark.column,
                    message: "invalid YAML: expected a single document, found another one"
                )
            }
            return root
        }

        func node(from event: Event, depth: Int) throws(Failure) -> YAMLNode {
            switch event.type {
            case YAML_ALIAS_EVENT:
                guard let node = anchors[event.anchor ?? ""] else {
                    throw Failure(
                        line: event.mark.line,
                        column: event.mark.column,
                        message: "invalid YAML: found undefined alias '\(event.anchor ?? "")'"
                    )
                }
                return node
            case YAML_SCALAR_EVENT:
                return remember(.scalar(.init(string: event.value, style: event.style, mark: event.mark)), event)
            case YAML_SEQUENCE_START_EVENT:
                try checkDepth(depth, event)
                var items: [YAMLNode] = []
                var item = try next()
                while item.type != YAML_SEQUENCE_END_EVENT {
                    items.append(try node(from: item, depth: depth + 1))
                    item = try next()
                }
                return remember(.sequence(.init(items: items, mark: event.mark)), event)
            case YAML_MAPPING_START_EVENT:
                try checkDepth(depth, event)
                var pairs: [(key: YAMLNode, value: YAMLNode)] = []
                var key = try next()
                while key.type != YAML_MAPPING_END_EVENT {
                    let keyNode = try node(from: key, depth: depth + 1)
                    let valueNode = try node(from: try next(), depth: depth + 1)
                    pairs.append((keyNode, valueNode))
                    key = try next()
                }
                try Self.checkDuplicates(pairs)
                return remember(.mapping(.init(pairs: pairs, mark: event.mark)), event)
            default:
                throw Failure(
                    line: event.mark.line,
                    column: event.mark.column,
                    message: "invalid YAML: unexpected event \(event.type.rawValue)"
                )
            }
        }

        func remember(_ node: YAMLNode, _ event: Event) -> YAMLNode {
            if let anchor = event.anchor { anchors[anchor] = node }
            return node
        }

        func checkDepth(_ depth: Int, _ event: Event) throws(Failure) {
            guard depth >= YAMLComposer.maxDepth else { return }
            throw Failure(
                line: event.mark.line,
                column: event.mark.column,
                message: "invalid YAML: nested deeper than \(YAMLComposer.maxDepth) levels"
            )
        }

        /// Refuses a mapping whose scalar keys repeat, at the first occurrence of the first such key (by name).
        static func checkDuplicates(_ pairs: [(key: YAMLNode, value: YAMLNode)]) throws(Failure) {
            var first: [String: YAMLNode.Mark] = [:]
            var repeated: Set<String> = []
            for pair in pairs {
                guard let key = pair.key.scalar else { continue }
                if first[key.string] == nil {
                    first[key.string] = key.mark
                } else {
                    repeated.insert(key.string)
                }
            }
            guard let name = repeated.min(), let mark = first[name] else { return }
            let keys = repeated.sorted().map { "'\($0)'" }.joined(separator: ", ")
            throw Failure(
                line: mark.line,
                column: mark.column,
                message: "duplicate key \(keys) in the same mapping"
            )
        }

        /// libyaml's error, with its position (a reader error gives a byte offset: turned into line and column).
        func parserFailure() -> Failure {
            let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
            if parser.error == YAML_READER_ERROR {
                let (line, column) = Self.position(ofByte: parser.problem_offset, in: bytes)
                return Failure(line: line, column: column, message: "invalid YAML: \(problem)")
            }
            var message = "invalid YAML: \(problem)"
            if let context = parser.context {
                let mark = Self.mark(parser.context_mark)
                message += " (\(String(cString: context)) at line \(mark.line), column \(mark.column))"
            }
            let mark = Self.mark(parser.problem_mark)
            return Failure(line: mark.line, column: mark.column, message: message)
        }

        static func mark(_ mark: yaml_mark_t) -> YAMLNode.Mark {
            YAMLNode.Mark(line: mark.line + 1, column: mark.column + 1)
        }

        /// 1-based line and column (in Unicode scalars) of the byte at `offset`.
        static func position(ofByte offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
            var line = 1
            var column = 1
            for byte in bytes.prefix(offset) {
                if byte == 0x0A {
                    line += 1
                    column = 1
                } else if byte & 0xC0 != 0x80 {
                    column += 1
                }
            }
            return (line, column)
        }
    }

    /// What the composer needs of one libyaml event.
    private struct Event {
        var type: yaml_event_type_t
        var mark: YAMLNode.Mark
        var anchor: String?
        var value = ""
        var style = YAMLNode.Style.plain

        init(_ event: yaml_event_t) {
            type = event.type
            mark = Composer.mark(event.start_mark)
            switch event.type {
            case YAML_ALIAS_EVENT:
                anchor = event.data.alias.anchor.map { String(cString: $0) }
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                anchor = scalar.anchor.map { String(cString: $0) }
                value = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                switch scalar.style {
                case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
                case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
                case YAML_LITERAL_SCALAR_STYLE: style = .literal
                case YAML_FOLDED_SCALAR_STYLE: style = .folded
                default: style = .plain
                }
            case YAML_SEQUENCE_START_EVENT:
                anchor = event.data.sequence_start.anchor.map { String(cString: $0) }
            case YAML_MAPPING_START_EVENT:
                anchor = event.data.mapping_start.anchor.map { String(cString: $0) }
            default:
                anchor = nil
            }
        }
    }
}
