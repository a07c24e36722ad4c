import LeptonCore
import NIOCore

/// Single-threaded encode and decode rates of `ColumnarCodec` over one signal's batches, in values per second.
struct SpeedMeasurement: Sendable {
    var encodeValues: Double
    var decodeValues: Double
    var encodeTimestamps: Double
    var decodeTimestamps: Double

    /// Runs each of the four measurements for at least `minimum` (after one warm-up pass over all batches).
    static func measure(_ batches: [SignalBatch], minimum: Duration) throws -> SpeedMeasurement {
        let allocator = ByteBufferAllocator()
        let capacity = (batches.map(\.count).max() ?? 0) * 10 + 64
        var scratch = allocator.buffer(capacity: capacity)
        var sink: UInt64 = 0

        let encodeValues = Throughput.rate(minimum: minimum) {
            var count = 0
            for batch in batches {
                scratch.clear()
                sink &+= UInt64(ColumnarCodec.encodeNumbers(batch.values, into: &scratch).rawValue)
                count += batch.count
            }
            return count
        }
        let encodeTimestamps = Throughput.rate(minimum: minimum) {
            var count = 0
            for batch in batches {
                scratch.clear()
                ColumnarCodec.encodeTimestamps(batch.timestamps, into: &scratch)
                sink &+= UInt64(scratch.writerIndex)
                count += batch.count
            }
            return count
        }

        let encodedValues = batches.map { batch in
            var buffer = allocator.buffer(capacity: capacity)
            ColumnarCodec.encodeNumbers(batch.values, into: &buffer)
            return buffer
        }
        let encodedTimestamps = batches.map { batch in
            var buffer = allocator.buffer(capacity: capacity)
            ColumnarCodec.encodeTimestamps(batch.timestamps, into: &buffer)
            return buffer
        }
        let decodeValues = try Throughput.rate(minimum: minimum) {
            var count = 0
            for (index, batch) in batches.enumerated() {
                var reader = encodedValues[index]
                let values = try ColumnarCodec.decodeNumbers(count: batch.count, from: &reader)
                sink &+= values.last?.bitPattern ?? 0
                count += values.count
            }
            return count
        }
        let decodeTimestamps = try Throughput.rate(minimum: minimum) {
            var count = 0
            for (index, batch) in batches.enumerated() {
                var reader = encodedTimestamps[index]
                let timestamps = try ColumnarCodec.decodeTimestamps(count: batch.count, from: &reader)
                sink &+= UInt64(bitPattern: timestamps.last ?? 0)
                count += timestamps.count
            }
            return count
        }
        Throughput.keep(sink)
        return SpeedMeasurement(
            encodeValues: encodeValues,
            decodeValues: decodeValues,
            encodeTimestamps: encodeTimestamps,
            decodeTimestamps: decodeTimestamps
        )
    }
}
