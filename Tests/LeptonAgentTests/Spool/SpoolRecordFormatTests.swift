import LeptonCore
import LeptonTestSupport
import NIOCore
import Testing

@testable import LeptonAgent

@Suite struct SpoolRecordFormatTests {
    /// One batch as the spool writes it.
    struct Batch {
        var frame: Message.BatchFrame
        var source: String
        var checkpoints: [TailCheckpoint]

        var headerSize: Int { SpoolRecordFormat.fixedHeaderSize + source.utf8.count + 4 }
        var bytes: [UInt8] {
            Array(SpoolRecordFormat.encode(frame, source: source, checkpoints: checkpoints).readableBytesView)
        }
    }

    typealias Damage = SpoolRecordFormat.Damage

    static let checkpoint = TailCheckpoint(
        key: TailKey(path: "/var/log/app.log"),
        file: FileIdentity(
            device: 0x0102_0304_0506_0708,
            inode: 0x1122_3344_5566_7788,
            fingerprintLength: 1024,
            fingerprint: 0xDEAD_BEEF
        ),
        offset: 0x7FFF_0000_1234
    )

    static func frame(records: Int, sequence: UInt64) throws -> Message.BatchFrame {
        try BatchCodec.encode(
            (0..<records).map { Record(stream: "s", timestamp: Int64($0), value: .text("line \($0)")) },
            sequence: sequence
        )
    }

    /// Three batches of different sources, sizes and checkpoints.
    static func three() throws -> [Batch] {
        try [
            Batch(frame: frame(records: 2, sequence: 7), source: "app", checkpoints: [checkpoint]),
            Batch(frame: frame(records: 3, sequence: 8), source: "sensor", checkpoints: []),
            Batch(
                frame: frame(records: 1, sequence: 9),
                source: "app",
                checkpoints: [
                    TailCheckpoint(key: checkpoint.key, file: checkpoint.file, offset: 99),
                    TailCheckpoint(key: TailKey(path: "/var/log/db.log"), file: checkpoint.file, offset: 5),
                ]
            ),
        ]
    }

    /// The batches back to back, as a segment holds them, and where each starts.
    static func segment(_ batches: [Batch]) -> (bytes: [UInt8], offsets: [Int]) {
        var bytes: [UInt8] = []
        var offsets: [Int] = []
        for batch in batches {
            offsets.append(bytes.count)
            bytes += batch.bytes
        }
        return (bytes, offsets)
    }

    static func scan(
        _ bytes: [UInt8],
        maxPayload: Int = Spool.maxPayload
    ) -> (found: [SpoolRecordFormat.Found], damage: [Damage]) {
        bytes.withUnsafeBytes { SpoolRecordFormat.scan($0, maxPayload: maxPayload) }
    }

    // MARK: - Intact bytes

    @Test(arguments: [0, 1, 3])
    func encodeThenScanGivesTheBatchBack(checkpointCount: Int) throws {
        let frame = try Self.frame(records: 5, sequence: 77)
        let checkpoints = (0..<checkpointCount).map { index in
            TailCheckpoint(
                key: TailKey(path: "/var/log/app-\(index).log"),
                file: Self.checkpoint.file,
                offset: Self.checkpoint.offset + Int64(index)
            )
        }
        let bytes = Batch(frame: frame, source: "app", checkpoints: checkpoints).bytes
        let expectedSize =
            SpoolRecordFormat.fixedHeaderSize + 3 + 4 + 1
            + (checkpointCount == 0 ? 0 : 2 + checkpointCount * 38) + SpoolRecordFormat.frameFieldsSize
            + frame.body.readableBytes
        #expect(bytes.count == expectedSize, "Spool.append reserves room with this formula")

        let (found, damage) = Self.scan(bytes)
        #expect(damage.isEmpty)
        #expect(found.count == 1)
        let batch = try #require(found.first)
        #expect(batch.offset == 0)
        #expect(batch.header.id == 77)
        #expect(batch.header.records == 5)
        #expect(batch.header.source == "app")
        #expect(batch.header.entrySize == bytes.count)
        #expect(batch.checkpoints == checkpoints)
        #expect(batch.wireSize == frame.wireSize)

        let decoded = bytes.withUnsafeBytes { raw in
            SpoolRecordFormat.decodePayload(
                UnsafeRawBufferPointer(rebasing: raw[batch.header.size...]),
                header: batch.header
            )
        }
        let (decodedCheckpoints, decodedFrame) = try #require(decoded)
        #expect(decodedCheckpoints == checkpoints)
        #expect(decodedFrame == frame)
        #expect(decodedFrame.body == frame.body)
    }

    @Test func batchesBackToBackAreAllFound() throws {
        let later = try Self.three().map { batch in
            var renumbered = batch
            renumbered.frame.sequence += 100
            return renumbered
        }
        let batches = try Self.three() + later
        let (bytes, offsets) = Self.segment(batches)
        let (found, damage) = Self.scan(bytes)
        #expect(damage.isEmpty)
        #expect(found.map(\.header.id) == batches.map(\.frame.sequence))
        #expect(found.map(\.offset) == offsets)
        #expect(found.map(\.header.source) == batches.map(\.source))
        #expect(found.map(\.header.records) == batches.map { Int($0.frame.recordCount) })
        #expect(found.map(\.checkpoints) == batches.map(\.checkpoints))
        #expect(found.map(\.wireSize) == batches.map(\.frame.wireSize))
    }

    /// Batches spooled by versions before sources followed several files carry one checkpoint with no path key
    /// (flag bit 0): still read, as a checkpoint of an unknown path.
    @Test func aCheckpointWithoutAPathKeyIsStillRead() throws {
        func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
            withUnsafeBytes(of: value.bigEndian) { Array($0) }
        }
        let frame = try Self.frame(records: 2, sequence: 5)
        let modern = Batch(frame: frame, source: "app", checkpoints: []).bytes
        let headerEnd = SpoolRecordFormat.fixedHeaderSize + 3
        let identity = Self.checkpoint.file
        let payload =
            [1] + bigEndian(identity.device) + bigEndian(identity.inode) + bigEndian(identity.fingerprintLength)
            + bigEndian(identity.fingerprint) + bigEndian(Self.checkpoint.offset) + modern[(headerEnd + 4 + 1)...]
        var header = Array(modern[..<headerEnd])
        header.replaceSubrange(4..<8, with: bigEndian(UInt32(payload.count)))
        header.replaceSubrange(20..<24, with: bigEndian(CRC32C.checksum(payload)))
        let legacy = header + bigEndian(CRC32C.checksum(header)) + payload

        let (found, damage) = Self.scan(legacy)
        #expect(damage.isEmpty)
        var expected = Self.checkpoint
        expected.key = .unknown
        #expect(found.map(\.checkpoints) == [[expected]])
        #expect(found.map(\.wireSize) == [frame.wireSize])
    }

    @Test func aLongSourceNameIsCutAt255Bytes() throws {
        let name = String(repeating: "n", count: 300)
        let bytes = try Batch(frame: Self.frame(records: 1, sequence: 1), source: name, checkpoints: []).bytes
        let (found, damage) = Self.scan(bytes)
        #expect(damage.isEmpty)
        #expect(found.first?.header.source == String(repeating: "n", count: 255))
    }

    @Test func nothingIsFoundInNothing() {
        let (found, damage) = Self.scan([])
        #expect(found.isEmpty)
        #expect(damage.isEmpty)
    }

    // MARK: - Damage

    /// Positions in the payload of the middle batch: the flags byte, a frame field, the last body byte.
    @Test(arguments: [0, 5, -1])
    func aFlippedPayloadByteLosesThatBatchOnly(position: Int) throws {
        let batches = try Self.three()
        let (original, offsets) = Self.segment(batches)
        var bytes = original
        let middle = batches[1]
        let payloadLength = middle.bytes.count - middle.headerSize
        bytes[offsets[1] + middle.headerSize + (position >= 0 ? position : payloadLength + position)] ^= 0xFF

        let (found, damage) = Self.scan(bytes)
        #expect(found.map(\.header.id) == [7, 9])
        #expect(found.map(\.offset) == [offsets[0], offsets[2]])
        let lost = Damage(kind: .corrupt, offset: offsets[1], bytes: middle.bytes.count, records: 3, source: "sensor")
        #expect(damage == [lost])
    }

    /// Positions in the header of the middle batch ("sensor": 35 bytes): magic, payload length, sequence, record count,
    /// payload checksum, name, header checksum. The name length (24) has a test of its own.
    @Test(arguments: [0, 3, 5, 12, 17, 21, 27, 33])
    func aFlippedHeaderByteIsSkippedAndTheNextBatchFound(position: Int) throws {
        let batches = try Self.three()
        let (original, offsets) = Self.segment(batches)
        var bytes = original
        bytes[offsets[1] + position] ^= 0xFF

        let (found, damage) = Self.scan(bytes)
        #expect(found.map(\.header.id) == [7, 9])
        #expect(found.last?.offset == offsets[2])
        #expect(damage == [Damage(kind: .corrupt, offset: offsets[1], bytes: offsets[2] - offsets[1])])
    }

    /// A damaged name length can make a header claim more bytes than the segment has left. That is damage, not the
    /// end of the segment: the intact batch after it must still be found.
    @Test func aDamagedNameLengthNearTheEndDoesNotHideTheNextBatch() throws {
        let small = try [
            Batch(frame: Self.frame(records: 1, sequence: 1), source: "a", checkpoints: []),
            Batch(frame: Self.frame(records: 1, sequence: 2), source: "a", checkpoints: []),
        ]
        let (original, offsets) = Self.segment(small)
        var bytes = original
        try #require(bytes.count < SpoolRecordFormat.fixedHeaderSize + 255 + 4, "both batches fit in a 255-byte name")
        bytes[SpoolRecordFormat.fixedHeaderSize - 1] = 255

        let (found, damage) = Self.scan(bytes)
        #expect(found.map(\.header.id) == [2])
        #expect(damage == [Damage(kind: .corrupt, offset: 0, bytes: offsets[1])])
    }

    /// Cuts inside the last batch's payload, counted from the end of its header.
    @Test(arguments: [0, 10, -1])
    func aCutInsideTheLastPayloadIsTruncationWithItsRecords(position: Int) throws {
        let batches = try Self.three()
        let (bytes, offsets) = Self.segment(batches)
        let last = batches[2]
        let kept = last.headerSize + (position >= 0 ? position : last.bytes.count - last.headerSize + position)

        let (found, damage) = Self.scan(Array(bytes[..<(offsets[2] + kept)]))
        #expect(found.map(\.header.id) == [7, 8])
        #expect(damage == [Damage(kind: .truncated, offset: offsets[2], bytes: kept, records: 1, source: "app")])
    }

    /// Cuts inside the last batch's header ("app": 32 bytes).
    @Test(arguments: [1, 4, 10, 24, 25, 28, 31])
    func aCutInsideTheLastHeaderIsTruncation(kept: Int) throws {
        let batches = try Self.three()
        let (bytes, offsets) = Self.segment(batches)

        let (found, damage) = Self.scan(Array(bytes[..<(offsets[2] + kept)]))
        #expect(found.map(\.header.id) == [7, 8])
        #expect(damage == [Damage(kind: .truncated, offset: offsets[2], bytes: kept)])
    }

    @Test func aPayloadLengthAboveTheMaximumIsCorruptNotARead() throws {
        let batches = try Self.three()
        let (original, offsets) = Self.segment(batches)
        var bytes = original
        // The first header claims a payload of almost 4 GiB, with a header checksum that holds.
        let nameEnd = SpoolRecordFormat.fixedHeaderSize + batches[0].source.utf8.count
        withUnsafeBytes(of: UInt32(0xFFFF_FFF0).bigEndian) { bytes.replaceSubrange(4..<8, with: $0) }
        let checksum = CRC32C.checksum(bytes[..<nameEnd])
        withUnsafeBytes(of: checksum.bigEndian) { bytes.replaceSubrange(nameEnd..<(nameEnd + 4), with: $0) }

        let (found, damage) = Self.scan(bytes)
        #expect(found.map(\.header.id) == [8, 9])
        #expect(damage == [Damage(kind: .corrupt, offset: 0, bytes: offsets[1])])
    }

    @Test func aPayloadAboveTheScannersMaximumIsCorrupt() throws {
        let (bytes, _) = try Self.segment(Self.three())
        let (found, damage) = Self.scan(bytes, maxPayload: 16)
        #expect(found.isEmpty)
        #expect(damage == [Damage(kind: .corrupt, offset: 0, bytes: bytes.count)])
    }

    // MARK: - Garbage

    static func garbage(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for _ in 0..<count { bytes.append(UInt8.random(in: .min ... .max, using: &generator)) }
        // Plant magic numbers so that header checksums, not only magic checks, turn the bytes down.
        for offset in stride(from: 97, to: count - 4, by: 997) {
            bytes.replaceSubrange(offset..<(offset + 4), with: [0x4C, 0x53, 0x50, 0x31])
        }
        return bytes
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomBytesHoldNoBatch(seed: UInt64) {
        let bytes = Self.garbage(10 * 1024, seed: seed)
        let (found, damage) = Self.scan(bytes)
        #expect(found.isEmpty)
        #expect(damage.reduce(0) { $0 + $1.bytes } == bytes.count, "every byte is accounted for")
    }

    @Test(arguments: [4, 5] as [UInt64])
    func batchesAmongRandomBytesAreFound(seed: UInt64) throws {
        let batches = try Self.three()
        let before = Self.garbage(1000, seed: seed)
        let between = Self.garbage(300, seed: seed + 100)
        let bytes = before + batches[0].bytes + between + batches[1].bytes
        let second = before.count + batches[0].bytes.count + between.count

        let (found, damage) = Self.scan(bytes)
        #expect(found.map(\.header.id) == [7, 8])
        #expect(found.map(\.offset) == [before.count, second])
        #expect(
            damage == [
                Damage(kind: .corrupt, offset: 0, bytes: before.count),
                Damage(kind: .corrupt, offset: before.count + batches[0].bytes.count, bytes: between.count),
            ]
        )
    }
}
