/// A column that does not decode: truncated, inconsistent with its count, or with a field out of its range.
public struct ColumnarDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong, naming the column and the field.
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
