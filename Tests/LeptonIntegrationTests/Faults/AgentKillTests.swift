import Foundation
import LeptonCollector
import LeptonCore
import LeptonTestSupport
import Testing

/// Fault family 2: the agent process is SIGKILLed mid-stream, again and again, with a tailed file, a glob over
/// several files (one appearing mid-run), stdin and a sensor, and started again on the same state directory.
@Suite(.serialized) struct AgentKillTests {
    @Test func tailedLinesArriveExactlyOnceAndNothingIsDoubledThroughAgentKills() async throws {
        let fixture = try FaultFixture(agent: "edge-ak")
        defer { fixture.remove() }
        let started = ContinuousClock.now
        let collector = try await CollectorHarness(pki: fixture.pki, databasePath: fixture.database)

        // stdin: a FIFO the test keeps open for reading and writing, so lines wait in it while no agent runs.
        let fifo = fixture.file("stdin.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let fifoDescriptor = open(fifo, O_RDWR | O_CLOEXEC)
        #expect(fifoDescriptor >= 0)
        enlargePipe(fifoDescriptor)
        defer { close(fifoDescriptor) }
        let sensor = fixture.file("sensor-value")
        try "0\n".write(toFile: sensor, atomically: true, encoding: .utf8)

        let log = fixture.file("app.log")
        let logs = fixture.file("logs")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let agent = try fixture.agentDaemon(
            collectorPort: collector.agentPort,
            sources: [
                "{ type: file, name: app, path: \(log) }",
                "{ type: file, name: logs, path: \(logs)/*.log }",
                "{ type: stdin, name: pipe }",
                "{ type: sensor, name: counter, paths: [\(sensor)], interval: 100ms }",
            ]
        )
        let stdin = FileHandle(fileDescriptor: fifoDescriptor, closeOnDealloc: false)
        try agent.start(input: stdin)
        defer { Task { await agent.kill() } }

        let tailTotal = 20_000
        let pipeTotal = 4_000
        let tail = try NumberedLines(appendingTo: log, count: tailTotal, perSecond: 4_000)
        let pipe = NumberedLines(descriptor: fifoDescriptor, count: pipeTotal, perSecond: 800)
        // Three files under one glob, numbered apart; the third appears while the agent runs.
        let perFile = 2_000
        let globbed = [
            try NumberedLines(appendingTo: logs + "/a.log", count: perFile, perSecond: 500),
            try NumberedLines(appendingTo: logs + "/b.log", count: perFile, perSecond: 500, startingAt: perFile + 1),
        ]
        // The sensor file is rewritten in place with a rising counter, as a driver does.
        let sensorWriter = Task {
            var value = 0
            while !Task.isCancelled {
                value += 1
                try? "\(value)\n".write(toFile: sensor, atomically: false, encoding: .utf8)
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        defer { sensorWriter.cancel() }

        let kills = 6
        var late: NumberedLines?
        for kill in 0..<kills {
            try await Task.sleep(for: randomDelay(400...1_000))
            await agent.kill()
            try await Task.sleep(for: randomDelay(20...200))
            try agent.start(input: stdin)
            if kill == 1 {
                late = try NumberedLines(
                    appendingTo: logs + "/c.log",
                    count: perFile,
                    perSecond: 1_000,
                    startingAt: 2 * perFile + 1
                )
            }
        }
        for writer in globbed + [late].compactMap({ $0 }) { _ = try await writer.finished() }
        _ = try await tail.finished()
        _ = try await pipe.finished()
        let tailDone = await eventually(timeout: .seconds(60), interval: .milliseconds(500)) {
            let tailed = try? await fixture.delivery(stream: "app", produced: tailTotal).stored
            let globbed = try? await fixture.delivery(stream: "logs", produced: 3 * perFile).stored
            return tailed == tailTotal && globbed == 3 * perFile
        }
        // Let the pipe drain (until the stored count stops moving), then stop cleanly.
        var lastStored = -1
        _ = await eventually(timeout: .seconds(20), interval: .milliseconds(700)) {
            let stored = (try? await fixture.delivery(stream: "pipe", produced: pipeTotal).stored) ?? 0
            defer { lastStored = stored }
            return stored == lastStored
        }
        #expect(await agent.stop() == 0, "agent: \(agent.logs.suffix(3000))")
        try await collector.stop()
        #expect(tailDone, "tail did not complete; agent: \(agent.logs.suffix(3000))")

        let tailDelivery = try await fixture.delivery(stream: "app", produced: tailTotal)
        let pipeDelivery = try await fixture.delivery(stream: "pipe", produced: pipeTotal)
        let globDelivery = try await fixture.delivery(stream: "logs", produced: 3 * perFile)
        let samples = try await StoredRecords.records(
            database: fixture.database,
            agent: fixture.agentID,
            stream: "counter"
        )
        let sampleTimes = samples.map(\.timestamp)
        let seconds = (ContinuousClock.now - started).inSeconds
        try FaultReport.record(
            FaultRun(
                family: 2,
                scenario: "agent SIGKILLed at random points, restarted (tail source)",
                faults: kills,
                delivery: tailDelivery,
                seconds: seconds,
                notes: "the tail resumes from the checkpoint spooled with its last batch"
            )
        )
        try FaultReport.record(
            FaultRun(
                family: 2,
                scenario: "agent SIGKILLed at random points, restarted (glob over 3 files, one new mid-run)",
                faults: kills,
                delivery: globDelivery,
                seconds: seconds,
                notes:
                    "each file resumes from its own checkpoint; files interleave in one stream, so out-of-order is expected"
            )
        )
        try FaultReport.record(
            FaultRun(
                family: 2,
                scenario: "agent SIGKILLed at random points, restarted (stdin source)",
                faults: kills,
                delivery: pipeDelivery,
                seconds: seconds,
                notes:
                    "stdin has no file behind it: lines read but not yet spooled (at most batch.linger) die with the process"
            )
        )
        try FaultReport.record(
            FaultRun(
                family: 2,
                scenario: "agent SIGKILLed at random points, restarted (sensor source)",
                faults: kills,
                delivery: DeliveryCount(
                    produced: samples.count,
                    stored: Set(sampleTimes).count,
                    duplicates: sampleTimes.count - Set(sampleTimes).count,
                    missing: 0,
                    outOfOrder: zip(sampleTimes, sampleTimes.dropFirst()).filter { $0 > $1 }.count
                ),
                seconds: seconds,
                notes:
                    "counted by sample timestamp; no sample is taken while the agent is down, and samples not yet spooled (at most batch.linger) die with the process"
            )
        )
        #expect(tailDelivery.isExactlyOnce, "\(tailDelivery)")
        // Files interleave in one stream, so only each file's own order holds: count, not order.
        #expect(globDelivery.duplicates == 0 && globDelivery.missing == 0, "\(globDelivery)")
        #expect(pipeDelivery.duplicates == 0 && pipeDelivery.outOfOrder == 0, "\(pipeDelivery)")
        #expect(Set(sampleTimes).count == sampleTimes.count, "a sensor sample was stored twice")
        #expect(samples.count > 10)
    }

    /// Two tailed files of different priorities against a store that takes a third of what they produce: the agent
    /// sends the important one first, so batches are numbered in another order than they were spooled, and it is
    /// SIGKILLed again and again while batches wait at the collector, are half acknowledged, or were never sent.
    @Test func prioritiesAndASaturatedStoreStillGiveExactlyOnceThroughAgentKills() async throws {
        let fixture = try FaultFixture(agent: "edge-akp")
        defer { fixture.remove() }
        let started = ContinuousClock.now
        let throttled = ThrottledSink(try SQLiteSink(path: fixture.database), bytesPerSecond: 60_000)
        let collector = try await CollectorHarness(pki: fixture.pki, databasePath: fixture.database, sink: throttled)
        let bulkLog = fixture.file("bulk.log")
        let alarmLog = fixture.file("alarm.log")
        let agent = try fixture.agentDaemon(
            collectorPort: collector.agentPort,
            sources: [
                "{ type: file, name: bulk, path: \(bulkLog) }",
                "{ type: file, name: alarm, path: \(alarmLog), priority: 10 }",
            ]
        )
        try agent.start()
        defer { Task { await agent.kill() } }

        let bulkTotal = 20_000
        let alarmTotal = 2_000
        let bulk = try NumberedLines(appendingTo: bulkLog, count: bulkTotal, perSecond: 4_000, payloadBytes: 40)
        let alarm = try NumberedLines(appendingTo: alarmLog, count: alarmTotal, perSecond: 400)
        let kills = 6
        for _ in 0..<kills {
            try await Task.sleep(for: randomDelay(400...1_000))
            await agent.kill()
            try await Task.sleep(for: randomDelay(20...200))
            try agent.start()
        }
        _ = try await bulk.finished()
        _ = try await alarm.finished()
        throttled.setBytesPerSecond(1 << 30)
        let done = await eventually(timeout: .seconds(60), interval: .milliseconds(500)) {
            let bulkStored = try? await fixture.delivery(stream: "bulk", produced: bulkTotal).stored
            let alarmStored = try? await fixture.delivery(stream: "alarm", produced: alarmTotal).stored
            return bulkStored == bulkTotal && alarmStored == alarmTotal
        }
        #expect(await agent.stop() == 0, "agent: \(agent.logs.suffix(3000))")
        try await collector.stop()
        #expect(done, "not everything arrived; agent: \(agent.logs.suffix(3000))")

        let seconds = (ContinuousClock.now - started).inSeconds
        for (stream, total) in [("bulk", bulkTotal), ("alarm", alarmTotal)] {
            let delivery = try await fixture.delivery(stream: stream, produced: total)
            try FaultReport.record(
                FaultRun(
                    family: 2,
                    scenario: "agent SIGKILLed at random points, restarted (tail source of priority "
                        + (stream == "alarm" ? "10" : "0") + ", store saturated)",
                    faults: kills,
                    delivery: delivery,
                    seconds: seconds,
                    notes: "batches are numbered when first sent, the important source first; a resend keeps its number"
                )
            )
            #expect(delivery.isExactlyOnce, "\(stream): \(delivery)")
        }
    }
}
