import LeptonCore

/// The agent's parsers and processors as plain functions over input in memory, for `lepton-bench pipeline`:
/// the same code the agent runs on every line and sample, without sources, spool or network.
public enum PipelineKernels {
    /// Parses every line with `parser`; returns how many gave an event (the others were skipped or failed).
    public static func parse(_ lines: [String], with parser: ParserConfig, readTime: Int64 = 0) -> Int {
        var eventParser = EventParser(config: parser, name: "bench")
        var events = 0
        for line in lines {
            if (try? eventParser.parse(line, readTime: readTime)) != nil { events += 1 }
        }
        return events
    }

    /// Runs the samples of one stream (`timestamps[i]`, `values[i]`) through `processors` as the agent would,
    /// read at their own timestamps, then flushes; returns every record that comes out.
    public static func process(
        timestamps: [Int64],
        values: [Double],
        through processors: [ProcessorConfig],
        stream: String = "bench"
    ) -> [Record] {
        var chain = ProcessorChain(source: stream, processors: processors, hostname: "bench", metrics: nil)
        var records: [Record] = []
        for (timestamp, value) in zip(timestamps, values) {
            let event = Event(
                name: stream,
                timestamp: timestamp,
                fields: [Event.Field(Event.valueField, .number(value))]
            )
            for output in chain.process(event, now: timestamp) { output.appendRecords(to: &records) }
        }
        for output in chain.flush(now: timestamps.last ?? 0) { output.appendRecords(to: &records) }
        return records
    }
}
