/// One observation from one stream: a number or a line of text, stamped in nanoseconds since the epoch.
public struct Record: Hashable, Sendable {
    /// What a record carries.
    public enum Value: Hashable, Sendable {
        case number(Double)
        case text(String)
    }

    /// The stream's name, e.g. `thermal.zone0.temp` or `app`.
    public var stream: String
    /// The stream's tags, e.g. `site=lyon`; a stream is identified by its name and tags together (see
    /// ``SeriesKey``).
    public var tags: Tags
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    public var timestamp: Int64
    public var value: Value

    public init(stream: String, tags: Tags = Tags(), timestamp: Int64, value: Value) {
        self.stream = stream
        self.tags = tags
        self.timestamp = timestamp
        self.value = value
    }

    /// Bytes this record adds to an encoded batch, an upper bound used by the batcher to seal batches by size.
    public var estimatedEncodedSize: Int {
        switch value {
        case .number: return 1 + 1 + 10 + 8
        case .text(let text): return 1 + 1 + 10 + 5 + text.utf8.count
        }
    }
}

extension Record.Value {
    /// The numeric value, or nil for text.
    public var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The text value, or nil for numbers.
    public var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }
}
