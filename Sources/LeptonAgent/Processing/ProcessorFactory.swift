import LeptonCore

/// The processor a configuration describes; `hostname` replaces `${hostname}` in the static tags of `fields`.
func makeProcessor(_ config: ProcessorConfig, hostname: String) -> any Processor {
    switch config {
    case .filter(let filter): return FilterProcessor(filter)
    case .fields(let fields): return FieldsProcessor(fields, hostname: hostname)
    case .deadband(let deadband): return DeadbandProcessor(deadband)
    case .swingingDoor(let swingingDoor): return SwingingDoorProcessor(swingingDoor)
    case .aggregate(let aggregate): return AggregateProcessor(aggregate)
    case .rateLimit(let rateLimit): return RateLimitProcessor(rateLimit)
    case .sample(let sample): return SampleProcessor(sample)
    case .dedupe(let dedupe): return DedupeProcessor(dedupe)
    }
}
