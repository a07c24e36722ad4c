import NIOCore

/// The text baselines: one line per sample, as a shipper without a columnar codec would send them.
///
/// Each value is written in its shortest text: integers without a fraction, values that are exact float32s as
/// float32 text ("230.05", not the 17 digits of the widened double), everything else as the shortest text that
/// reads back as the same double. This favours the baselines.
enum TextLines {
    /// `timestamp_ns,value\n` per sample.
    static func csv(_ batch: SignalBatch, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: batch.count * 32)
        for index in 0..<batch.count {
            buffer.writeString("\(batch.timestamps[index]),\(text(batch.values[index]))\n")
        }
        return buffer
    }

    /// `{"t":timestamp_ns,"v":value}\n` per sample.
    static func json(_ batch: SignalBatch, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: batch.count * 40)
        for index in 0..<batch.count {
            buffer.writeString("{\"t\":\(batch.timestamps[index]),\"v\":\(text(batch.values[index]))}\n")
        }
        return buffer
    }

    static func text(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 0x1p53 {
            return String(Int64(value))
        }
        let single = Float(value)
        if Double(single) == value {
            return single.description
        }
        return value.description
    }
}
