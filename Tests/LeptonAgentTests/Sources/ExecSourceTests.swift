import Foundation
import LeptonCore
import LeptonTestSupport
import Testing

@testable import LeptonAgent

/// The exec source runs real commands: a script printing JSON like `sensors -j`, one that fails, one that hangs.
@Suite struct ExecSourceTests {
    static func script(_ body: String, in directory: TemporaryDirectory, name: String = "probe.sh") throws -> String {
        let path = directory.file(name)
        try "#!/bin/sh\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    @Test func aCommandsJSONOutputBecomesOneEventPerRun() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let script = try Self.script(
            """
            cat <<'EOF'
            {
              "coretemp-isa-0000": {
                "Adapter": "ISA adapter",
                "Package id 0": { "temp1_input": 45.0, "temp1_max": 80.0 }
              }
            }
            EOF
            """,
            in: directory
        )
        let source = ExecSource(
            name: "sensors",
            config: ExecConfig(command: [script], interval: .milliseconds(50), parser: ParserConfig(format: .json)),
            metrics: AgentMetrics(),
            logger: testLogger("exec")
        )
        let probe = SourceProbe(source)
        defer { probe.stop() }
        #expect(await probe.wait { $0.count >= 2 })
        let event = try #require(await probe.emissions.first?.first)
        #expect(event.numbers["sensors.coretemp-isa-0000.Package id 0.temp1_input"] == 45)
        #expect(event.numbers["sensors.coretemp-isa-0000.Package id 0.temp1_max"] == 80)
        #expect(event[field: "coretemp-isa-0000.Adapter"] == .text("ISA adapter"))
    }

    @Test func failingAndHangingCommandsAreCountedNotFatal() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let failing = try Self.script("echo oops; exit 3", in: directory, name: "fail.sh")
        let hanging = try Self.script("echo 1; exec sleep 30", in: directory, name: "hang.sh")
        let metrics = AgentMetrics()
        let fail = SourceProbe(
            ExecSource(
                name: "fail",
                config: ExecConfig(command: [failing], interval: .milliseconds(20)),
                metrics: metrics,
                logger: testLogger("exec")
            )
        )
        let hang = SourceProbe(
            ExecSource(
                name: "hang",
                config: ExecConfig(command: [hanging], interval: .milliseconds(20), timeout: .milliseconds(200)),
                metrics: metrics,
                logger: testLogger("exec")
            )
        )
        let missing = SourceProbe(
            ExecSource(
                name: "missing",
                config: ExecConfig(command: [directory.file("no-such-program")], interval: .milliseconds(20)),
                metrics: metrics,
                logger: testLogger("exec")
            )
        )
        defer {
            fail.stop()
            hang.stop()
            missing.stop()
        }
        func failures(_ source: String, _ reason: String) -> Double {
            metrics.sample("lepton_agent_exec_failures_total{source=\"\(source)\",reason=\"\(reason)\"}") ?? 0
        }
        let counted = await eventually(timeout: .seconds(20), interval: .milliseconds(20)) {
            failures("fail", "exit") >= 3 && failures("hang", "timeout") >= 2 && failures("missing", "start") >= 3
        }
        #expect(counted)
        #expect(await fail.emissions.isEmpty, "the output of a failed run is not used")
        #expect(await hang.emissions.isEmpty)
    }

    @Test func outputBeyondTheLimitIsAFailureNotUnboundedMemory() throws {
        let run = ExecSource.execute(
            ["/bin/sh", "-c", "yes 0123456789abcdef | head -c 8000000"],
            timeout: .seconds(20)
        )
        guard case .failed(let reason, _) = run else {
            Issue.record("expected a failure, got \(run)")
            return
        }
        #expect(reason == "output")
    }

    @Test func programsAreFoundInPath() {
        #expect(ExecSource.resolve("sh").hasSuffix("/sh"))
        #expect(ExecSource.resolve("/bin/true") == "/bin/true")
    }
}
