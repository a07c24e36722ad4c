import NIOCore

/// Appends fields of 0 to 64 bits to a bit stream, least significant bit first: the first bit written becomes bit 0
/// of the first byte, and a field's own bits go in from its least significant bit up.
///
/// Whole 64-bit words are kept in `words`; `write(to:)` ends the stream at the next byte boundary with zero bits.
struct BitWriter {
    /// Completed words, each stored little-endian so that their memory is the stream's bytes in order.
    private var words: [UInt64] = []
    /// Bits not yet in a completed word, in its low `used` bits.
    private var current: UInt64 = 0
    /// How many bits of `current` are in use, 0..<64.
    private var used = 0

    init(reservingBits bits: Int = 0) {
        words.reserveCapacity(bits / 64 + 1)
    }

    /// Bits written so far.
    var bitCount: Int { words.count * 64 + used }

    /// Bytes that `write(to:)` appends.
    var byteCount: Int { (bitCount + 7) / 8 }

    /// Appends the low `bits` bits of `value` (`bits` in 0...64; the bits of `value` above them must be zero).
    @inline(__always)
    mutating func write(_ value: UInt64, bits: Int) {
        assert(bits >= 0 && bits <= 64 && value >> bits == 0, "\(value) does not fit in \(bits) bits")
        current |= value &<< UInt64(used)
        let total = used + bits
        if total >= 64 {
            words.append(current.littleEndian)
            // The bits of `value` that did not fit; a smart shift, so none when `used` was 0.
            current = value >> (64 - used)
            used = total - 64
        } else {
            used = total
        }
    }

    /// Appends the stream to `buffer`, padded with zero bits to a whole byte.
    func write(to buffer: inout ByteBuffer) {
        words.withUnsafeBytes { _ = buffer.writeBytes($0) }
        var tail = current
        for _ in 0..<(used + 7) / 8 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: tail))
            tail >>= 8
        }
    }
}
