import Foundation
import LeptonTestSupport

/// Generated signals that mimic real sensors. Deterministic: each has its own fixed seed.
enum SyntheticSignals {
    /// 2025-12-01T00:00:00Z in nanoseconds: a whole second, as a device clock would start.
    static let epoch: Int64 = 1_764_547_200 * nanosecondsPerSecond
    static let nanosecondsPerSecond: Int64 = 1_000_000_000
    static let nanosecondsPerMillisecond: Int64 = 1_000_000

    static func signal(_ kind: SignalKind, count: Int) -> Signal? {
        switch kind {
        case .temperature: temperature(count: count)
        case .accelerometer: accelerometer(count: count)
        case .power: power(count: count)
        case .counter: counter(count: count)
        case .flag: flag(count: count)
        case .proc: nil
        }
    }

    /// A room temperature sensor with 0.1 °C resolution, one sample a second: a random walk of −0.1, 0 or
    /// +0.1 per sample, pulled back towards 21.0 °C, with occasional holds of 10 to 59 s. Values are
    /// `Double(tenths) / 10`, the same doubles a parser makes of "21.3".
    static func temperature(count: Int) -> Signal {
        var random = SplitMix64(seed: 0x7E3D_0001)
        var timestamps: [Int64] = []
        var values: [Double] = []
        timestamps.reserveCapacity(count)
        values.reserveCapacity(count)
        var tenths = 213
        var hold = 0
        for index in 0..<count {
            if hold > 0 {
                hold -= 1
            } else if random.unit() < 0.02 {
                hold = 10 + random.integer(below: 50)
            } else {
                let pull = Double(tenths - 210) * 0.01
                let draw = random.unit()
                if draw < 0.3 + pull {
                    tenths -= 1
                } else if draw >= 0.7 + pull {
                    tenths += 1
                }
            }
            timestamps.append(epoch + Int64(index) * nanosecondsPerSecond)
            values.append(Double(tenths) / 10)
        }
        return Signal(name: "temperature", isReal: false, timestamps: timestamps, values: values)
    }

    /// A 64 Hz accelerometer axis with 12-bit integer output (−2048…2047, about 1024 counts per g): a 1.5 Hz
    /// swing of 400 counts plus Gaussian noise (σ = 3 counts). The clock ticks in whole milliseconds, so the
    /// intervals alternate 15 and 16 ms (64 samples in 1,000 ms), and 5% of the samples are stamped 1 ms early
    /// or late.
    static func accelerometer(count: Int) -> Signal {
        var random = SplitMix64(seed: 0xACCE_0002)
        var timestamps: [Int64] = []
        var values: [Double] = []
        timestamps.reserveCapacity(count)
        values.reserveCapacity(count)
        for index in 0..<count {
            var milliseconds = Int64(index) * 1000 / 64
            if random.unit() < 0.05 {
                milliseconds += random.integer(below: 2) == 0 ? -1 : 1
            }
            timestamps.append(epoch + milliseconds * nanosecondsPerMillisecond)
            let seconds = Double(index) / 64
            let reading = 400 * sin(2 * Double.pi * 1.5 * seconds) + 3 * random.gaussian()
            values.append(Double(min(2047, max(-2048, Int(reading.rounded())))))
        }
        return Signal(name: "accelerometer", isReal: false, timestamps: timestamps, values: values)
    }

    /// A power meter at 10 Hz reporting float32 watts: each reading is the float32 mean of 16 float32 raw
    /// samples around a load of 230 W that drifts by ±4 W over ten minutes (raw noise σ = 1.5 W). Values are the
    /// `Float`s converted to `Double`, as a binary protocol (Modbus, CAN) delivers them.
    static func power(count: Int) -> Signal {
        var random = SplitMix64(seed: 0x90E4_0003)
        var timestamps: [Int64] = []
        var values: [Double] = []
        timestamps.reserveCapacity(count)
        values.reserveCapacity(count)
        for index in 0..<count {
            let seconds = Double(index) / 10
            let load = 230 + 4 * sin(2 * Double.pi * seconds / 600)
            var sum: Float = 0
            for _ in 0..<16 {
                sum += Float(load + 1.5 * random.gaussian())
            }
            timestamps.append(epoch + Int64(index) * nanosecondsPerSecond / 10)
            values.append(Double(sum / 16))
        }
        return Signal(name: "power", isReal: false, timestamps: timestamps, values: values)
    }

    /// A bytes-received counter read once a second: idle (no change) a quarter of the time, otherwise a burst
    /// of 60 B to 2 MB, log-uniformly distributed.
    static func counter(count: Int) -> Signal {
        var random = SplitMix64(seed: 0xC0C0_0004)
        var timestamps: [Int64] = []
        var values: [Double] = []
        timestamps.reserveCapacity(count)
        values.reserveCapacity(count)
        var total: Int64 = 1_234_567_890
        for index in 0..<count {
            if random.unit() >= 0.25 {
                total += Int64(exp(log(60.0) + random.unit() * (log(2_000_000.0) - log(60.0))))
            }
            timestamps.append(epoch + Int64(index) * nanosecondsPerSecond)
            values.append(Double(total))
        }
        return Signal(name: "counter", isReal: false, timestamps: timestamps, values: values)
    }

    /// A 0/1 state flag read once a second that flips with probability 0.002 per sample (about every 8 min).
    static func flag(count: Int) -> Signal {
        var random = SplitMix64(seed: 0xF1A6_0005)
        var timestamps: [Int64] = []
        var values: [Double] = []
        timestamps.reserveCapacity(count)
        values.reserveCapacity(count)
        var state = 0.0
        for index in 0..<count {
            if random.unit() < 0.002 {
                state = 1 - state
            }
            timestamps.append(epoch + Int64(index) * nanosecondsPerSecond)
            values.append(state)
        }
        return Signal(name: "flag", isReal: false, timestamps: timestamps, values: values)
    }
}
