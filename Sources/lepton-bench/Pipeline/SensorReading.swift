import LeptonTestSupport

/// One reading of a fleet of room sensors, the content every parser line of the pipeline benchmark is written from.
///
/// Deterministic: ``generate(count:)`` draws from a fixed seed, so every run parses the same lines. Every reading has
/// its own sequence number and timestamp, so no two lines of a format are equal.
struct SensorReading: Sendable {
    /// Nanoseconds since the epoch, in whole milliseconds.
    var timestamp: Int64
    var host: String
    var site: String
    var room: String
    var sensor: String
    var level: String
    var message: String
    /// Tenths of a degree Celsius.
    var temperatureTenths: Int
    /// Tenths of a percent.
    var humidityTenths: Int
    /// Parts per million.
    var co2: Int
    var sequence: Int

    /// The temperature in °C, the double a parser makes of its text (`21.3`).
    var temperature: Double { Double(temperatureTenths) / 10 }
    /// The relative humidity in %.
    var humidity: Double { Double(humidityTenths) / 10 }

    static let hosts = (1...8).map { "edge-0\($0)" }
    static let sites = ["lyon", "porto", "tampere"]
    /// What a warning or an error says.
    static let problems = ["sensor warming up", "calibration drift", "humidity out of range"]

    /// `count` readings about 100 ms apart (±20 ms), from eight hosts with four sensors each; temperature, humidity
    /// and CO2 walk randomly, one in twenty readings is a warning and one in two hundred an error.
    static func generate(count: Int) -> [SensorReading] {
        var random = SplitMix64(seed: 0x91E1_0006)
        var readings: [SensorReading] = []
        readings.reserveCapacity(count)
        var temperature = 213
        var humidity = 482
        var co2 = 612
        var milliseconds: Int64 = 0
        for index in 0..<count {
            milliseconds += 80 + Int64(random.integer(below: 41))
            temperature = min(300, max(150, temperature + random.integer(below: 3) - 1))
            humidity = min(900, max(200, humidity + random.integer(below: 5) - 2))
            co2 = min(2000, max(400, co2 + random.integer(below: 21) - 10))
            let hostIndex = random.integer(below: hosts.count)
            let draw = random.unit()
            let level = draw < 0.005 ? "error" : (draw < 0.05 ? "warn" : "info")
            readings.append(
                SensorReading(
                    timestamp: SyntheticSignals.epoch + milliseconds * SyntheticSignals.nanosecondsPerMillisecond,
                    host: hosts[hostIndex],
                    site: sites[hostIndex % sites.count],
                    room: "r\(10 + hostIndex)",
                    sensor: "th-\(1000 + hostIndex * 4 + random.integer(below: 4))",
                    level: level,
                    message: level == "info" ? "reading ok" : problems[random.integer(below: problems.count)],
                    temperatureTenths: temperature,
                    humidityTenths: humidity,
                    co2: co2,
                    sequence: index
                )
            )
        }
        return readings
    }
}
