/// Writes bit fields most significant bit first into 64-bit words.
struct BitWriter {
    private(set) var words: [UInt64] = []
    private(set) var bitCount = 0
    private var current: UInt64 = 0
    private var used = 0

    /// Appends the low `width` bits of `value` (0…64).
    mutating func write(_ value: UInt64, bits width: Int) {
        precondition((0...64).contains(width))
        guard width > 0 else { return }
        let field = width == 64 ? value : value & ((1 << UInt64(width)) - 1)
        bitCount += width
        let free = 64 - used
        if width <= free {
            current |= field << UInt64(free - width)
            used += width
            if used == 64 {
                words.append(current)
                current = 0
                used = 0
            }
        } else {
            let spill = width - free
            current |= field >> UInt64(spill)
            words.append(current)
            current = field << UInt64(64 - spill)
            used = spill
        }
    }

    /// The written words, the last one padded with zero bits.
    func finished() -> [UInt64] {
        used > 0 ? words + [current] : words
    }
}

/// Reads what `BitWriter` wrote.
struct BitReader {
    private let words: [UInt64]
    private var position = 0

    init(_ words: [UInt64]) {
        self.words = words
    }

    /// The next `width` bits (0…64), or nil past the end.
    mutating func read(bits width: Int) -> UInt64? {
        guard width > 0 else { return 0 }
        guard position + width <= words.count * 64 else { return nil }
        let index = position >> 6
        let offset = position & 63
        let available = 64 - offset
        let value: UInt64
        if width <= available {
            value = (words[index] << UInt64(offset)) >> UInt64(64 - width)
        } else {
            let rest = width - available
            let high = (words[index] << UInt64(offset)) >> UInt64(offset)
            value = (high << UInt64(rest)) | (words[index + 1] >> UInt64(64 - rest))
        }
        position += width
        return value
    }
}
