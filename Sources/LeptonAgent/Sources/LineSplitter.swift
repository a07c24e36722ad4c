/// Cuts a byte stream into lines (LF or CRLF), holding a partial line until its end arrives.
/// A line longer than `maxLineBytes` is cut there; the rest of it up to the newline is discarded and counted.
struct LineSplitter {
    let maxLineBytes: Int
    private var partial: [UInt8] = []
    private var discarding = false
    /// Lines cut at `maxLineBytes` so far.
    private(set) var truncatedLines = 0
    /// For each line the last `push` returned, the index in its bytes just past the line's newline.
    private(set) var lineEnds: [Int] = []

    init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// Feeds bytes; returns the complete lines they finish.
    mutating func push(_ bytes: UnsafeRawBufferPointer) -> [String] {
        var lines: [String] = []
        lineEnds.removeAll(keepingCapacity: true)
        var start = 0
        while start < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[start...])
            if let newline = rest.firstIndex(of: 0x0A) {
                append(UnsafeRawBufferPointer(rebasing: rest[..<newline]))
                lines.append(takeLine())
                discarding = false
                start += newline + 1
                lineEnds.append(start)
            } else {
                append(rest)
                break
            }
        }
        return lines
    }

    /// The last line of a stream that did not end with a newline.
    mutating func finish() -> String? {
        guard !partial.isEmpty || discarding else { return nil }
        discarding = false
        return takeLine()
    }

    private mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !discarding else { return }
        let room = maxLineBytes - partial.count
        if bytes.count > room {
            partial.append(contentsOf: bytes.prefix(room))
            discarding = true
            truncatedLines += 1
        } else {
            partial.append(contentsOf: bytes)
        }
    }

    private mutating func takeLine() -> String {
        if partial.last == 0x0D { partial.removeLast() }
        defer { partial.removeAll(keepingCapacity: true) }
        return String(decoding: partial, as: UTF8.self)
    }
}
