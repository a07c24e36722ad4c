extension StringProtocol {
    /// The text without leading and trailing whitespace (and newlines).
    public var trimmingWhitespace: SubSequence {
        let start = drop { $0.isWhitespace }
        var end = start.endIndex
        while end > start.startIndex {
            let previous = start.index(before: end)
            guard start[previous].isWhitespace else { break }
            end = previous
        }
        return start[start.startIndex..<end]
    }
}
