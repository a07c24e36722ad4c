import LeptonCore

/// One parser format of the pipeline benchmark: its configuration and the lines it reads, one per reading.
struct ParserWorkload: Sendable {
    /// The row label: the parser's `type`.
    var name: String
    /// The parser's settings, as an operator would write them, for the report.
    var settings: String
    var parser: ParserConfig
    var lines: [String]

    /// Bytes of all lines together, without line ends.
    var byteCount: Int { lines.reduce(0) { $0 + $1.utf8.count } }

    /// The four formats, each with one line per reading.
    static func all(from readings: [SensorReading]) -> [ParserWorkload] {
        [json(readings), influx(readings), logfmt(readings), csv(readings)]
    }

    /// A JSON log line of six keys, one of them a nested object, with an RFC 3339 time in `ts`.
    static func json(_ readings: [SensorReading]) -> ParserWorkload {
        let parser = ParserConfig(
            kind: .json,
            timestamp: ParserConfig.Timestamp(field: "ts", format: .rfc3339),
            tags: ["host", "level"]
        )
        let lines = readings.map { reading -> String in
            let head =
                "{\"ts\":\"\(formatRFC3339(nanoseconds: reading.timestamp))\",\"host\":\"\(reading.host)\","
                + "\"level\":\"\(reading.level)\",\"msg\":\"\(reading.message)\","
            let sensor =
                "\"sensor\":{\"id\":\"\(reading.sensor)\",\"temp\":\(reading.temperature),"
                + "\"humidity\":\(reading.humidity)},\"seq\":\(reading.sequence)}"
            return head + sensor
        }
        return ParserWorkload(
            name: "json",
            settings: "timestamp: { field: ts, format: rfc3339 }, tags: [host, level]",
            parser: parser,
            lines: lines
        )
    }

    /// InfluxDB line protocol: a measurement, two tags, three fields (one an integer) and a time in nanoseconds.
    static func influx(_ readings: [SensorReading]) -> ParserWorkload {
        let lines = readings.map { reading -> String in
            "climate,site=\(reading.site),room=\(reading.room) temp=\(reading.temperature),"
                + "humidity=\(reading.humidity),co2=\(reading.co2)i \(reading.timestamp)"
        }
        return ParserWorkload(
            name: "influx",
            settings: "precision: ns",
            parser: ParserConfig(kind: .influx(precision: .ns)),
            lines: lines
        )
    }

    /// A logfmt line of eight pairs, one quoted, with an RFC 3339 time in `ts`.
    static func logfmt(_ readings: [SensorReading]) -> ParserWorkload {
        let parser = ParserConfig(
            kind: .logfmt,
            timestamp: ParserConfig.Timestamp(field: "ts", format: .rfc3339),
            tags: ["host", "level"]
        )
        let lines = readings.map { reading -> String in
            "ts=\(formatRFC3339(nanoseconds: reading.timestamp)) level=\(reading.level) host=\(reading.host) "
                + "msg=\"\(reading.message)\" sensor=\(reading.sensor) temp=\(reading.temperature) "
                + "humidity=\(reading.humidity) seq=\(reading.sequence)"
        }
        return ParserWorkload(
            name: "logfmt",
            settings: "timestamp: { field: ts, format: rfc3339 }, tags: [host, level]",
            parser: parser,
            lines: lines
        )
    }

    /// A csv row of six columns named in the configuration, with the time in milliseconds since the epoch.
    static func csv(_ readings: [SensorReading]) -> ParserWorkload {
        let columns = ["ts", "host", "sensor", "temp", "humidity", "co2"]
        let parser = ParserConfig(
            kind: .csv(columns: columns, delimiter: ","),
            timestamp: ParserConfig.Timestamp(field: "ts", format: .unixMilliseconds),
            tags: ["host", "sensor"]
        )
        let lines = readings.map { reading -> String in
            let milliseconds = reading.timestamp / SyntheticSignals.nanosecondsPerMillisecond
            return "\(milliseconds),\(reading.host),\(reading.sensor),\(reading.temperature),"
                + "\(reading.humidity),\(reading.co2)"
        }
        return ParserWorkload(
            name: "csv",
            settings: "columns: [\(columns.joined(separator: ", "))], timestamp: { field: ts, format: unix_ms }, "
                + "tags: [host, sensor]",
            parser: parser,
            lines: lines
        )
    }
}
