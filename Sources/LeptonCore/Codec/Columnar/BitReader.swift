import NIOCore

/// Reads the fields a `BitWriter` wrote, from the readable bytes of a buffer, without consuming them: the caller
/// checks `paddingIsZero` and moves its reader index by `consumedBytes` when done.
///
/// A read past the end returns nil rather than trapping, so a decoder can throw instead.
struct BitReader {
    private let buffer: ByteBuffer
    private let start: Int
    private let end: Int
    /// Index of the next byte to load.
    private var next: Int
    /// Loaded bits not yet read; the next one is bit 0.
    private var pending: UInt64 = 0
    /// How many bits of `pending` are valid, 0...64.
    private var available = 0

    init(_ buffer: ByteBuffer) {
        self.buffer = buffer
        start = buffer.readerIndex
        end = buffer.writerIndex
        next = start
    }

    /// Bits that can still be read.
    var remainingBits: Int { (end - next) * 8 + available }

    /// Bytes read so far, counting a partly read byte.
    var consumedBytes: Int { ((next - start) * 8 - available + 7) / 8 }

    /// Whether the unread bits of the last partly read byte are all zero, as a writer pads them.
    var paddingIsZero: Bool { pending & Self.mask(available % 8) == 0 }

    /// Reads a field of `bits` bits (0...64); nil when the input ends first.
    @inline(__always)
    mutating func read(_ bits: Int) -> UInt64? {
        if bits <= available {
            let value = pending & Self.mask(bits)
            pending = pending >> bits
            available -= bits
            return value
        }
        return readAcrossRefill(bits)
    }

    private mutating func readAcrossRefill(_ bits: Int) -> UInt64? {
        let low = pending
        let have = available
        refill()
        let need = bits - have
        guard need <= available else { return nil }
        let high = pending & Self.mask(need)
        pending = pending >> need
        available -= need
        return low | high << have
    }

    /// Loads up to 8 more bytes; only called once every pending bit has been taken.
    private mutating func refill() {
        if end - next >= 8 {
            pending = buffer.getInteger(at: next, endianness: .little, as: UInt64.self) ?? 0
            next += 8
            available = 64
        } else {
            var value: UInt64 = 0
            var shift = 0
            while next < end {
                value |= UInt64(buffer.getInteger(at: next, as: UInt8.self) ?? 0) << shift
                next += 1
                shift += 8
            }
            pending = value
            available = shift
        }
    }

    /// The low `bits` bits set, for `bits` in 0...64.
    @inline(__always)
    static func mask(_ bits: Int) -> UInt64 { UInt64.max >> (64 - bits) }
}
