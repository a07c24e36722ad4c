import LeptonCore
import NIOCore

/// The bytes of one spooled batch in a segment file (all integers big-endian), and a scanner that finds the
/// intact ones in a damaged segment.
///
/// ```
/// offset      size  field
/// 0           4     magic "LSP1"
/// 4           4     payload length P
/// 8           8     batch id (the spool's numbering; the wire sequence number is given when first sent)
/// 16          4     record count
/// 20          4     CRC-32C of the payload
/// 24          1     source name length N
/// 25          N     source name (UTF-8)
/// 25+N        4     CRC-32C of bytes [0, 25+N)        (the header checksum)
/// 29+N        P     payload:
///                     u8 flags (bit 1: tail checkpoints follow; bit 0, written by older versions: one
///                       checkpoint without a path key follows)
///                     [u16 count C, C × (u64 path key, u64 device, u64 inode, u16 fingerprint length,
///                       u32 fingerprint, i64 offset)]         (bit 1)
///                     [u64 device, u64 inode, u16 fingerprint length, u32 fingerprint, i64 offset]  (bit 0)
///                     u8 encoding, u8 compression, u32 raw length, u32 body CRC-32C, body
/// ```
///
/// The header has its own checksum so that a damaged payload still tells how many records of which source
/// were lost; a damaged header is skipped by searching for the next magic whose header checksum holds.
enum SpoolRecordFormat {
    static let magic: UInt32 = 0x4C53_5031
    static let fixedHeaderSize = 25
    /// A checkpoint of older versions, without its path key.
    static let legacyCheckpointSize = 8 + 8 + 2 + 4 + 8
    static let checkpointSize = 8 + legacyCheckpointSize

    /// Bytes the checkpoints take in a payload.
    static func checkpointsSize(_ checkpoints: [TailCheckpoint]) -> Int {
        checkpoints.isEmpty ? 0 : 2 + checkpoints.count * checkpointSize
    }
    static let frameFieldsSize = 1 + 1 + 4 + 4

    struct Header: Hashable, Sendable {
        var payloadLength: Int
        /// The spool's id of the batch.
        var id: UInt64
        var records: Int
        var payloadChecksum: UInt32
        var source: String
        /// Bytes of the header, up to the payload.
        var size: Int
        var entrySize: Int { size + payloadLength }
    }

    /// A batch found intact by `scan`.
    struct Found: Hashable, Sendable {
        var header: Header
        var offset: Int
        var checkpoints: [TailCheckpoint]
        /// What the batch costs in credit: the BATCH frame's payload size.
        var wireSize: Int
    }

    /// Bytes that did not hold an intact batch.
    struct Damage: Hashable, Sendable {
        enum Kind: String, Sendable {
            /// Checksum mismatch or impossible length: skipped.
            case corrupt
            /// The segment ends inside a batch (a write cut short by a crash or power loss).
            case truncated
        }
        var kind: Kind
        var offset: Int
        var bytes: Int
        /// Records lost, when the header survived and says how many (and of which source).
        var records: Int?
        var source: String?
    }

    /// Encodes one batch as it is appended to a segment; the frame's `sequence` field carries the batch's id.
    static func encode(
        _ frame: Message.BatchFrame,
        source: String,
        checkpoints: [TailCheckpoint],
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> ByteBuffer {
        precondition(checkpoints.count <= Int(UInt16.max), "one batch carries at most 65535 checkpoints")
        let name = Array(source.utf8.prefix(255))
        let payloadLength = 1 + checkpointsSize(checkpoints) + frameFieldsSize + frame.body.readableBytes
        var buffer = allocator.buffer(capacity: fixedHeaderSize + name.count + 4 + payloadLength)
        buffer.writeInteger(magic)
        buffer.writeInteger(UInt32(payloadLength))
        buffer.writeInteger(frame.sequence)
        buffer.writeInteger(frame.recordCount)
        let payloadChecksumAt = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(UInt8(name.count))
        buffer.writeBytes(name)
        let headerChecksumAt = buffer.writerIndex
        buffer.writeInteger(UInt32(0))

        let payloadStart = buffer.writerIndex
        buffer.writeInteger(UInt8(checkpoints.isEmpty ? 0 : 2))
        if !checkpoints.isEmpty { buffer.writeInteger(UInt16(checkpoints.count)) }
        for checkpoint in checkpoints {
            buffer.writeInteger(checkpoint.key.value)
            buffer.writeInteger(checkpoint.file.device)
            buffer.writeInteger(checkpoint.file.inode)
            buffer.writeInteger(checkpoint.file.fingerprintLength)
            buffer.writeInteger(checkpoint.file.fingerprint)
            buffer.writeInteger(checkpoint.offset)
        }
        buffer.writeInteger(frame.encoding)
        buffer.writeInteger(frame.compression)
        buffer.writeInteger(frame.rawLength)
        buffer.writeInteger(frame.checksum)
        buffer.writeImmutableBuffer(frame.body)

        let payloadChecksum = buffer.withUnsafeReadableBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[payloadStart...]))
        }
        buffer.setInteger(payloadChecksum, at: payloadChecksumAt)
        let headerChecksum = buffer.withUnsafeReadableBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[..<headerChecksumAt]))
        }
        buffer.setInteger(headerChecksum, at: headerChecksumAt)
        return buffer
    }

    enum HeaderResult {
        case header(Header)
        /// Not enough bytes to tell.
        case incomplete
        case corrupt
    }

    /// Reads and checks the header at the start of `bytes`.
    static func header(_ bytes: UnsafeRawBufferPointer, maxPayload: Int) -> HeaderResult {
        guard bytes.count >= fixedHeaderSize else { return .incomplete }
        guard bytes.loadBigEndian(UInt32.self, at: 0) == magic else { return .corrupt }
        let nameLength = Int(bytes[24])
        let size = fixedHeaderSize + nameLength + 4
        guard bytes.count >= size else { return .incomplete }
        let stored = bytes.loadBigEndian(UInt32.self, at: fixedHeaderSize + nameLength)
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[..<(fixedHeaderSize + nameLength)])) == stored
        else {
            return .corrupt
        }
        let payloadLength = Int(bytes.loadBigEndian(UInt32.self, at: 4))
        guard payloadLength >= 1 + frameFieldsSize, payloadLength <= maxPayload else { return .corrupt }
        return .header(
            Header(
                payloadLength: payloadLength,
                id: bytes.loadBigEndian(UInt64.self, at: 8),
                records: Int(bytes.loadBigEndian(UInt32.self, at: 16)),
                payloadChecksum: bytes.loadBigEndian(UInt32.self, at: 20),
                source: String(
                    decoding: UnsafeRawBufferPointer(rebasing: bytes[fixedHeaderSize..<(fixedHeaderSize + nameLength)]),
                    as: UTF8.self
                ),
                size: size
            )
        )
    }

    /// The checkpoints and the batch frame in a payload whose checksum was verified; nil when its fields do not
    /// add up.
    static func decodePayload(
        _ payload: UnsafeRawBufferPointer,
        header: Header
    ) -> ([TailCheckpoint], Message.BatchFrame)? {
        guard payload.count == header.payloadLength, CRC32C.checksum(payload) == header.payloadChecksum else {
            return nil
        }
        var position = 1
        var checkpoints: [TailCheckpoint] = []
        func checkpoint(key: TailKey, at start: Int) -> TailCheckpoint {
            TailCheckpoint(
                key: key,
                file: FileIdentity(
                    device: payload.loadBigEndian(UInt64.self, at: start),
                    inode: payload.loadBigEndian(UInt64.self, at: start + 8),
                    fingerprintLength: payload.loadBigEndian(UInt16.self, at: start + 16),
                    fingerprint: payload.loadBigEndian(UInt32.self, at: start + 18)
                ),
                offset: Int64(bitPattern: payload.loadBigEndian(UInt64.self, at: start + 22))
            )
        }
        if payload[0] & 2 != 0 {
            guard payload.count >= position + 2 else { return nil }
            let count = Int(payload.loadBigEndian(UInt16.self, at: position))
            position += 2
            guard payload.count >= position + count * checkpointSize + frameFieldsSize else { return nil }
            checkpoints.reserveCapacity(count)
            for _ in 0..<count {
                let key = TailKey(value: payload.loadBigEndian(UInt64.self, at: position))
                checkpoints.append(checkpoint(key: key, at: position + 8))
                position += checkpointSize
            }
        } else if payload[0] & 1 != 0 {
            guard payload.count >= position + legacyCheckpointSize + frameFieldsSize else { return nil }
            checkpoints.append(checkpoint(key: .unknown, at: position))
            position += legacyCheckpointSize
        }
        guard payload.count >= position + frameFieldsSize else { return nil }
        let bodyStart = position + frameFieldsSize
        let frame = Message.BatchFrame(
            sequence: header.id,
            recordCount: UInt32(header.records),
            encoding: payload[position],
            compression: payload[position + 1],
            rawLength: payload.loadBigEndian(UInt32.self, at: position + 2),
            checksum: payload.loadBigEndian(UInt32.self, at: position + 6),
            body: ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: payload[bodyStart...]))
        )
        return (checkpoints, frame)
    }

    /// Every intact batch in a segment's bytes, and every damaged stretch, in file order.
    static func scan(_ bytes: UnsafeRawBufferPointer, maxPayload: Int) -> (found: [Found], damage: [Damage]) {
        var found: [Found] = []
        var damage: [Damage] = []
        var position = 0
        /// Start of a stretch of bytes that held no intact header, if one is open.
        var junkStart: Int?

        func closeJunk(at end: Int) {
            if let start = junkStart {
                damage.append(Damage(kind: .corrupt, offset: start, bytes: end - start))
                junkStart = nil
            }
        }

        while position < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[position...])
            switch header(rest, maxPayload: maxPayload) {
            case .incomplete where junkStart == nil:
                // Too few bytes for the header this looks like: a write cut short, unless an intact batch
                // follows (then these bytes were damage, e.g. a corrupted name length).
                guard let next = nextHeader(in: bytes, after: position, maxPayload: maxPayload) else {
                    damage.append(Damage(kind: .truncated, offset: position, bytes: rest.count))
                    return (found, damage)
                }
                damage.append(Damage(kind: .corrupt, offset: position, bytes: next - position))
                position = next
            case .incomplete, .corrupt:
                if junkStart == nil { junkStart = position }
                position += 1
            case .header(let header):
                guard rest.count >= header.entrySize else {
                    // A valid header whose payload runs past the end: a write cut short.
                    closeJunk(at: position)
                    damage.append(
                        Damage(
                            kind: .truncated,
                            offset: position,
                            bytes: rest.count,
                            records: header.records,
                            source: header.source
                        )
                    )
                    return (found, damage)
                }
                closeJunk(at: position)
                let payload = UnsafeRawBufferPointer(rebasing: rest[header.size..<header.entrySize])
                if let (checkpoints, frame) = decodePayload(payload, header: header) {
                    found.append(
                        Found(header: header, offset: position, checkpoints: checkpoints, wireSize: frame.wireSize)
                    )
                } else {
                    damage.append(
                        Damage(
                            kind: .corrupt,
                            offset: position,
                            bytes: header.entrySize,
                            records: header.records,
                            source: header.source
                        )
                    )
                }
                position += header.entrySize
            }
        }
        closeJunk(at: position)
        return (found, damage)
    }
}

extension SpoolRecordFormat {
    /// The offset of the first intact header after `position`, if any.
    fileprivate static func nextHeader(in bytes: UnsafeRawBufferPointer, after position: Int, maxPayload: Int) -> Int? {
        var candidate = position + 1
        while candidate + fixedHeaderSize <= bytes.count {
            if case .header = header(UnsafeRawBufferPointer(rebasing: bytes[candidate...]), maxPayload: maxPayload) {
                return candidate
            }
            candidate += 1
        }
        return nil
    }
}

extension UnsafeRawBufferPointer {
    /// A big-endian integer at `offset` (no alignment needed).
    fileprivate func loadBigEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
