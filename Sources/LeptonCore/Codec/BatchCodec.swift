import CompressNIO
import NIOCore

/// Encodes records into BATCH frames and back: a body in one of the batch encodings (`row v1`, see
/// ``RowBatchBody``; `columnar v1`, see ``ColumnarBatchBody``), compressed, with a CRC-32C of the bytes as sent.
/// Layouts are in `docs/wire-protocol.md`.
public enum BatchCodec {
    /// Encodes `records` as batch `sequence` in `encoding`, compressing with zlib at `level` (1 fastest … 9 smallest)
    /// when asked.
    public static func encode(
        _ records: [Record],
        sequence: UInt64,
        encoding: BatchEncoding = .rowV1,
        compression: BatchCompression = .zlib,
        level: ZlibConfiguration.CompressionLevel = .fastestCompression,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws -> Message.BatchFrame {
        var body = allocator.buffer(capacity: records.reduce(16) { $0 + $1.estimatedEncodedSize })
        switch encoding {
        case .rowV1:
            RowBatchBody.encode(records, into: &body)
        case .columnarV1:
            ColumnarBatchBody.encode(records, into: &body)
        }
        let rawLength = body.readableBytes
        let wire: ByteBuffer
        switch compression {
        case .none:
            wire = body
        case .zlib:
            wire = try body.compress(
                with: .zlib,
                configuration: ZlibConfiguration(compressionLevel: level),
                allocator: allocator
            )
        }
        let checksum = wire.withUnsafeReadableBytes { CRC32C.checksum($0) }
        return Message.BatchFrame(
            sequence: sequence,
            recordCount: UInt32(records.count),
            encoding: encoding.rawValue,
            compression: compression.rawValue,
            rawLength: UInt32(rawLength),
            checksum: checksum,
            body: wire
        )
    }

    /// Checks and decodes a batch: checksum, compression, declared raw length (at most `maxRawBytes`, the guard
    /// against decompression bombs), record count, and every field.
    public static func decode(_ batch: Message.BatchFrame, maxRawBytes: Int) throws(BatchDecodingError) -> [Record] {
        let checksum = batch.body.withUnsafeReadableBytes { CRC32C.checksum($0) }
        guard checksum == batch.checksum else {
            throw BatchDecodingError("checksum mismatch: frame says \(batch.checksum), body has \(checksum)")
        }
        guard Int(batch.rawLength) <= maxRawBytes else {
            throw BatchDecodingError("raw length \(batch.rawLength) is above the limit of \(maxRawBytes) bytes")
        }
        // Every record costs at least 3 bytes as a row: a bound on what one batch may decode to, whatever the
        // encoding (a column can describe many records in a few bytes).
        guard Int(batch.recordCount) <= maxRawBytes / 3 else {
            throw BatchDecodingError(
                "record count \(batch.recordCount) is above the limit for \(maxRawBytes) raw bytes"
            )
        }
        guard let encoding = BatchEncoding(rawValue: batch.encoding) else {
            throw BatchDecodingError("unknown batch encoding \(batch.encoding)")
        }
        var body: ByteBuffer
        switch BatchCompression(rawValue: batch.compression) {
        case .none?:
            body = batch.body
        case .zlib?:
            var compressed = batch.body
            body = ByteBufferAllocator().buffer(capacity: Int(batch.rawLength))
            do {
                try compressed.decompress(to: &body, with: .zlib)
            } catch {
                throw BatchDecodingError(
                    "zlib body does not inflate to the declared \(batch.rawLength) bytes: \(error)"
                )
            }
        case nil:
            throw BatchDecodingError("unknown compression \(batch.compression)")
        }
        guard body.readableBytes == Int(batch.rawLength) else {
            throw BatchDecodingError("body is \(body.readableBytes) bytes, frame declares \(batch.rawLength)")
        }
        switch encoding {
        case .rowV1:
            return try RowBatchBody.decode(&body, expectedCount: Int(batch.recordCount))
        case .columnarV1:
            return try ColumnarBatchBody.decode(&body, expectedCount: Int(batch.recordCount), budget: maxRawBytes)
        }
    }
}

/// A batch that failed its checks; answered with an `invalid_batch` ERROR.
public struct BatchDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension BatchEncoding {
    /// Columns for records that are mostly numbers (sensor samples: a byte or two per sample), rows for text.
    public static func preferred(for records: [Record]) -> BatchEncoding {
        var numbers = 0
        for record in records {
            if case .number = record.value { numbers += 1 }
        }
        return numbers * 2 >= records.count ? .columnarV1 : .rowV1
    }
}
