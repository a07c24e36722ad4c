import CompressNIO
import LeptonCore
import NIOCore

/// Bytes per sample of every method over one signal's batches, with the codec's round trip checked on each.
struct SizeMeasurement: Sendable {
    var samples = 0
    /// `ColumnarCodec` timestamps + values, then zlib level 1: what goes on the wire.
    var columnarZlib = 0
    var columnarTimestamps = 0
    var columnarValues = 0
    var csvZlib = 0
    var csvGzip = 0
    var jsonZlib = 0
    var gorillaTimestampBits = 0
    var gorillaValueBits = 0
    var schemes: [NumberScheme: Int] = [:]

    var columnarRaw: Int { columnarTimestamps + columnarValues }

    func perSample(_ bytes: Int) -> Double { Double(bytes) / Double(samples) }
    func perSample(bits: Int) -> Double { Double(bits) / 8 / Double(samples) }

    /// The scheme `encodeNumbers` chose most often and its share of the batches.
    var commonScheme: (scheme: NumberScheme, share: Double)? {
        // Ties go to the lower raw value, so the report does not depend on dictionary order.
        let ordered = schemes.max { $0.value != $1.value ? $0.value < $1.value : $0.key.rawValue > $1.key.rawValue }
        guard let best = ordered else { return nil }
        return (best.key, Double(best.value) / Double(schemes.values.reduce(0, +)))
    }

    private static let zlibFastest = ZlibConfiguration(compressionLevel: .fastestCompression)
    private static let gzipDefault = ZlibConfiguration(compressionLevel: .compressionLevel6)

    /// Measures every batch; throws `BenchmarkFailure` when a round trip is not bit-exact.
    static func measure(_ batches: [SignalBatch], signal: String) throws -> SizeMeasurement {
        let allocator = ByteBufferAllocator()
        var result = SizeMeasurement()
        for (number, batch) in batches.enumerated() {
            let context = "\(signal), batch \(number)"
            var buffer = allocator.buffer(capacity: batch.count * 10)
            ColumnarCodec.encodeTimestamps(batch.timestamps, into: &buffer)
            let timestampBytes = buffer.readableBytes
            let scheme = ColumnarCodec.encodeNumbers(batch.values, into: &buffer)
            try checkRoundTrip(buffer, of: batch, context: context)

            result.samples += batch.count
            result.columnarTimestamps += timestampBytes
            result.columnarValues += buffer.readableBytes - timestampBytes
            result.schemes[scheme, default: 0] += 1
            result.columnarZlib += try compressedSize(buffer, .zlib, zlibFastest, allocator)
            let csv = TextLines.csv(batch, allocator: allocator)
            result.csvZlib += try compressedSize(csv, .zlib, zlibFastest, allocator)
            result.csvGzip += try compressedSize(csv, .gzip, gzipDefault, allocator)
            let json = TextLines.json(batch, allocator: allocator)
            result.jsonZlib += try compressedSize(json, .zlib, zlibFastest, allocator)

            let gorilla = Gorilla.encode(timestamps: batch.timestamps, values: batch.values)
            guard let decoded = Gorilla.decode(gorilla.words, count: batch.count),
                decoded.timestamps == batch.timestamps,
                decoded.values.map(\.bitPattern) == batch.values.map(\.bitPattern)
            else { throw BenchmarkFailure("\(context): the reference Gorilla encoder does not round-trip") }
            result.gorillaTimestampBits += gorilla.timestampBits
            result.gorillaValueBits += gorilla.valueBits
        }
        return result
    }

    /// Decodes `encoded` and compares timestamps and value bit patterns with `batch`.
    private static func checkRoundTrip(_ encoded: ByteBuffer, of batch: SignalBatch, context: String) throws {
        var reader = encoded
        let timestamps: [Int64]
        let values: [Double]
        do {
            timestamps = try ColumnarCodec.decodeTimestamps(count: batch.count, from: &reader)
            values = try ColumnarCodec.decodeNumbers(count: batch.count, from: &reader)
        } catch {
            throw BenchmarkFailure("\(context): round trip: decoding failed: \(error)")
        }
        guard timestamps.count == batch.count, values.count == batch.count else {
            throw BenchmarkFailure(
                "\(context): round trip: decoded \(timestamps.count) timestamps and \(values.count) values, "
                    + "expected \(batch.count)"
            )
        }
        guard reader.readableBytes == 0 else {
            throw BenchmarkFailure("\(context): round trip: \(reader.readableBytes) bytes left after decoding")
        }
        for index in 0..<batch.count {
            let expected = batch.values[index].bitPattern
            guard timestamps[index] == batch.timestamps[index], values[index].bitPattern == expected else {
                throw BenchmarkFailure(
                    "\(context), sample \(index): round trip: expected (\(batch.timestamps[index]), "
                        + "0x\(String(expected, radix: 16))), decoded (\(timestamps[index]), "
                        + "0x\(String(values[index].bitPattern, radix: 16)))"
                )
            }
        }
    }

    private static func compressedSize(
        _ buffer: ByteBuffer,
        _ algorithm: ZlibAlgorithm,
        _ configuration: ZlibConfiguration,
        _ allocator: ByteBufferAllocator
    ) throws -> Int {
        var input = buffer
        return try input.compress(with: algorithm, configuration: configuration, allocator: allocator).readableBytes
    }
}
