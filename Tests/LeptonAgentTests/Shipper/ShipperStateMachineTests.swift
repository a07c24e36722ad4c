import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct ShipperStateMachineTests {
    static func welcome(highWater: UInt64 = 0, credit: UInt64 = 1000, maxFrame: UInt32 = 10_000) -> Message {
        .welcome(
            Message.Welcome(
                sessionID: 1,
                highWaterSequence: highWater,
                initialCredit: credit,
                maxFrameBytes: maxFrame,
                maxBatchRawBytes: 1 << 20,
                heartbeatMilliseconds: 1000
            )
        )
    }

    /// A batch of `source` (priority 0 unless given), never sent unless `sequence` is given.
    static func batch(
        _ id: UInt64,
        size: Int = 10,
        source: Int = 0,
        priority: Int = 0,
        sequence: UInt64? = nil
    ) -> ShipperStateMachine.Batch {
        ShipperStateMachine.Batch(id: id, size: size, source: source, priority: priority, sequence: sequence)
    }

    @Test func helloCarriesTheOldestSequenceSentBefore() {
        var machine = ShipperStateMachine(agentID: "edge-01")
        #expect(machine.enqueue(Self.batch(7, sequence: 12)).isEmpty)
        #expect(machine.enqueue(Self.batch(8, sequence: 11)).isEmpty)
        #expect(machine.enqueue(Self.batch(9)).isEmpty)
        #expect(machine.connected() == [.send(.hello(Message.Hello(agentID: "edge-01", resumeSequence: 11)))])
    }

    @Test func nothingIsSentBeforeWelcome() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.connected()
        #expect(machine.enqueue(Self.batch(1, size: 10)).isEmpty)
        #expect(machine.received(Self.welcome()) == [.sendBatch(id: 1)])
    }

    @Test func creditExhaustionStopsSendingUntilAnAckGrantsMore() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.connected()
        _ = machine.received(Self.welcome(credit: 250))
        #expect(machine.enqueue(Self.batch(1, size: 100)) == [.sendBatch(id: 1)])
        #expect(machine.enqueue(Self.batch(2, size: 100)) == [.sendBatch(id: 2)])
        // 50 bytes of credit left: the third batch waits.
        #expect(machine.enqueue(Self.batch(3, size: 100)).isEmpty)
        #expect(
            machine.enqueue(Self.batch(4, size: 10)).isEmpty,
            "order is kept: a small batch does not jump the queue"
        )
        #expect(machine.availableCredit == 50)
        // 150 bytes of credit: both waiting batches go, in order.
        let actions = machine.received(.ack(Message.Ack(sequence: 1, credit: 100)))
        #expect(actions == [.release(upTo: 1), .sendBatch(id: 3), .sendBatch(id: 4)])
        #expect(machine.availableCredit == 40)
        #expect(machine.received(.ack(Message.Ack(sequence: 2, credit: 100))) == [.release(upTo: 2)])
        #expect(machine.availableCredit == 140)
    }

    @Test func neverSendsBeyondCredit() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.connected()
        _ = machine.received(Self.welcome(credit: 1000))
        var outstanding = 0
        var sizes: [UInt64: Int] = [:]
        var generator = SystemRandomNumberGenerator()
        var acked: UInt64 = 0
        var sent: [UInt64] = []
        for sequence in UInt64(1)...500 {
            let size = Int.random(in: 1...400, using: &generator)
            sizes[sequence] = size
            for case .sendBatch(let s) in machine.enqueue(Self.batch(sequence, size: size)) {
                machine.sent(id: s, sequence: s)
                outstanding += sizes[s]!
                sent.append(s)
            }
            #expect(outstanding <= 1000)
            if Bool.random(using: &generator), let next = sent.first(where: { $0 > acked }) {
                acked = next
                outstanding -= sizes[next]!
                for case .sendBatch(let s) in machine.received(
                    .ack(Message.Ack(sequence: next, credit: UInt64(sizes[next]!)))
                ) {
                    machine.sent(id: s, sequence: s)
                    outstanding += sizes[s]!
                    sent.append(s)
                }
                #expect(outstanding <= 1000)
            }
        }
        #expect(sent == sent.sorted())
    }

    @Test func welcomeReleasesWhatTheCollectorAlreadyHas() {
        var machine = ShipperStateMachine(agentID: "a")
        for id in UInt64(1)...3 { _ = machine.enqueue(Self.batch(id, sequence: id)) }
        _ = machine.enqueue(Self.batch(4))
        _ = machine.connected()
        #expect(
            machine.received(Self.welcome(highWater: 2, credit: 1000))
                == [.release(upTo: 2), .sendBatch(id: 3), .sendBatch(id: 4)]
        )
    }

    @Test func criticalSourcesGoFirstWhenCreditIsShort() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.connected()
        _ = machine.received(Self.welcome(credit: 25))
        #expect(machine.enqueue(Self.batch(1, source: 0)) == [.sendBatch(id: 1)])
        #expect(machine.enqueue(Self.batch(2, source: 0)) == [.sendBatch(id: 2)])
        #expect(machine.enqueue(Self.batch(3, source: 0)).isEmpty)
        #expect(machine.enqueue(Self.batch(4, source: 1, priority: 10)).isEmpty)
        #expect(machine.enqueue(Self.batch(5, source: 0)).isEmpty)
        machine.sent(id: 1, sequence: 1)
        machine.sent(id: 2, sequence: 2)
        // Credit for two more: the alarm, spooled after batch 3, goes before it.
        #expect(
            machine.received(.ack(Message.Ack(sequence: 2, credit: 20)))
                == [.release(upTo: 2), .sendBatch(id: 4), .sendBatch(id: 3)]
        )
    }

    @Test func equalPrioritiesGoOldestFirstAcrossSources() {
        var machine = ShipperStateMachine(agentID: "a")
        for (id, source) in [(UInt64(1), 2), (2, 1), (3, 2), (4, 0)] {
            _ = machine.enqueue(Self.batch(id, source: source, priority: 3))
        }
        _ = machine.connected()
        #expect(machine.received(Self.welcome()) == (1...4).map { .sendBatch(id: UInt64($0)) })
    }

    @Test func aSourceKeepsItsOrderWhenItsPriorityChanges() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.enqueue(Self.batch(1, source: 0, priority: 0))
        _ = machine.enqueue(Self.batch(2, source: 1, priority: 1))
        _ = machine.enqueue(Self.batch(3, source: 0, priority: 5))  // a reload raised source 0
        _ = machine.connected()
        #expect(machine.received(Self.welcome()) == [.sendBatch(id: 1), .sendBatch(id: 3), .sendBatch(id: 2)])
    }

    @Test func batchesSentBeforeGoFirstInSequenceOrderWhateverTheirPriority() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.enqueue(Self.batch(1, source: 0, sequence: 7))
        _ = machine.enqueue(Self.batch(2, source: 0, sequence: 5))
        _ = machine.enqueue(Self.batch(3, source: 1, priority: 100))
        _ = machine.enqueue(Self.batch(4, source: 0, sequence: 6))
        _ = machine.connected()
        // The collector would take 5 for a duplicate if 7, or a new number above it, came first.
        #expect(
            machine.received(Self.welcome(highWater: 5))
                == [.release(upTo: 5), .sendBatch(id: 4), .sendBatch(id: 1), .sendBatch(id: 3)]
        )
    }

    @Test func anInvalidBatchErrorDropsTheOldestWrittenNotTheOldestSpooled() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.connected()
        _ = machine.received(Self.welcome(credit: 10))
        #expect(machine.enqueue(Self.batch(1, source: 0)) == [.sendBatch(id: 1)])
        machine.sent(id: 1, sequence: 1)
        _ = machine.enqueue(Self.batch(2, source: 0))
        _ = machine.enqueue(Self.batch(3, source: 1, priority: 1))
        #expect(machine.received(.ack(Message.Ack(sequence: 1, credit: 10))) == [.release(upTo: 1), .sendBatch(id: 3)])
        machine.sent(id: 3, sequence: 2)
        let invalid = Message.WireError(code: .invalidBatch, message: "batch 2: bad body")
        #expect(machine.received(.error(invalid)) == [.dropRejected(id: 3), .close(.remoteError(invalid))])
    }

    @Test func aBatchWaitingLongAtTheCollectorHoldsTheRestBackAndTheImportantOneGoesNext() {
        var machine = ShipperStateMachine(agentID: "a")
        let start = ContinuousClock.now
        func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }
        _ = machine.connected()
        _ = machine.received(Self.welcome(credit: 100_000), now: at(0))
        #expect(machine.enqueue(Self.batch(1), now: at(0)) == [.sendBatch(id: 1)])
        machine.sent(id: 1, sequence: 1, at: at(0))
        // Acknowledged after 10 ms: the round trip with no queue.
        #expect(machine.received(.ack(Message.Ack(sequence: 1, credit: 10)), now: at(10)) == [.release(upTo: 1)])
        for (id, time) in [(UInt64(2), 20), (3, 30), (4, 40)] {
            #expect(machine.enqueue(Self.batch(id), now: at(time)) == [.sendBatch(id: id)])
            machine.sent(id: id, sequence: id, at: at(time))
        }
        // Batch 2 has waited 1.5 s, more than the round trip and the limit: a queue at the collector. The credit
        // would cover more; nothing more goes while two or more are in flight.
        #expect(machine.enqueue(Self.batch(5), now: at(1_500)).isEmpty)
        #expect(machine.enqueue(Self.batch(6, source: 1, priority: 9), now: at(1_600)).isEmpty)
        #expect(machine.received(.ack(Message.Ack(sequence: 2, credit: 10)), now: at(2_000)) == [.release(upTo: 2)])
        // One in flight: room for one more, the important one.
        #expect(
            machine.received(.ack(Message.Ack(sequence: 3, credit: 10)), now: at(2_500))
                == [.release(upTo: 3), .sendBatch(id: 6)]
        )
    }

    @Test func inFlightIsBoundedByWhatTheDeliveryRateDrainsWithinTheLimit() {
        var machine = ShipperStateMachine(agentID: "a")
        let start = ContinuousClock.now
        _ = machine.connected()
        _ = machine.received(Self.welcome(credit: 1_000_000), now: start)
        #expect(machine.enqueue(Self.batch(1, size: 1_000), now: start) == [.sendBatch(id: 1)])
        machine.sent(id: 1, sequence: 1, at: start)
        // 1,000 bytes delivered in 100 ms: 10,000 B/s, a round trip of 100 ms.
        _ = machine.received(.ack(Message.Ack(sequence: 1, credit: 0)), now: start + .milliseconds(100))
        var sent = 0
        for id in UInt64(2)...40 {
            sent += machine.enqueue(Self.batch(id, size: 1_000), now: start + .milliseconds(110)).count
        }
        #expect(sent == 11, "what 10,000 B/s delivers in the round trip and the limit (1.1 s): 11,000 bytes")
    }

    @Test func aBatchIsEnqueuedOnce() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.connected()
        _ = machine.received(Self.welcome())
        #expect(machine.enqueue(Self.batch(2)) == [.sendBatch(id: 2)])
        #expect(machine.enqueue(Self.batch(2)).isEmpty)
        #expect(machine.enqueue(Self.batch(1)).isEmpty)
    }

    @Test func batchLargerThanTheFrameLimitIsDropped() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.enqueue(Self.batch(1, size: 20_000))
        _ = machine.connected()
        #expect(
            machine.received(Self.welcome(credit: 100_000, maxFrame: 10_000))
                == [.dropOversized(id: 1, size: 20_000)]
        )
        #expect(machine.enqueue(Self.batch(2, size: 50_000)) == [.dropOversized(id: 2, size: 50_000)])
        #expect(machine.enqueue(Self.batch(3, size: 100)) == [.sendBatch(id: 3)])
    }

    @Test func goAwayAndErrorsCloseTheSession() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.connected()
        let goAway = Message.GoAway(reason: .shuttingDown, retryAfterMilliseconds: 500, text: "bye")
        #expect(machine.received(.goAway(goAway)) == [.close(.goAway(goAway))])
        #expect(machine.enqueue(Self.batch(1, size: 1)).isEmpty)

        var other = ShipperStateMachine(agentID: "a")
        _ = other.connected()
        let error = Message.WireError(code: .identityMismatch, message: "no")
        #expect(other.received(.error(error)) == [.close(.remoteError(error))])
    }

    @Test func anInvalidBatchErrorDropsTheOldestUnacknowledgedBatchOnly() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.connected()
        _ = machine.received(Self.welcome())
        #expect(machine.enqueue(Self.batch(4, size: 10)) == [.sendBatch(id: 4)])
        machine.sent(id: 4, sequence: 1)
        #expect(machine.enqueue(Self.batch(5, size: 10)) == [.sendBatch(id: 5)])
        machine.sent(id: 5, sequence: 2)
        _ = machine.received(.ack(Message.Ack(sequence: 1, credit: 10)))
        let invalid = Message.WireError(code: .invalidBatch, message: "batch 2: bad body")
        #expect(machine.received(.error(invalid)) == [.dropRejected(id: 5), .close(.remoteError(invalid))])

        // A retryable refusal (storage down) keeps the batch for the next session.
        var other = ShipperStateMachine(agentID: "a")
        _ = other.connected()
        _ = other.received(Self.welcome())
        _ = other.enqueue(Self.batch(1, size: 10))
        let storage = Message.WireError(code: .storageUnavailable, retryable: true, message: "disk full")
        #expect(other.received(.error(storage)) == [.close(.remoteError(storage))])
    }

    @Test func unexpectedFrameIsAProtocolViolation() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.connected()
        let actions = machine.received(.ack(Message.Ack(sequence: 1, credit: 1)))
        guard case .send(.error(let error)) = actions.first else {
            Issue.record("expected an ERROR frame, got \(actions)")
            return
        }
        #expect(error.code == .protocolViolation)
        #expect(actions.last == .close(.protocolViolation("unexpected ack frame")))
    }

    @Test func pingIsAnswered() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.connected()
        _ = machine.received(Self.welcome())
        #expect(machine.received(.ping(9)) == [.send(.pong(9))])
    }
}
