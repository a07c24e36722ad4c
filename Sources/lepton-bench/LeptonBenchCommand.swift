import ArgumentParser

@main
struct LeptonBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lepton-bench",
        abstract: "Benchmarks for Lepton; each subcommand prints a Markdown report on standard output.",
        subcommands: [
            CodecBenchmark.self, PipelineBenchmark.self, StoreBenchmark.self, FleetBenchmark.self,
            EdgeFidelityBenchmark.self,
            EdgePriorityBenchmark.self,
        ]
    )
}
