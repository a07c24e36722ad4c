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

    @Test func helloCarriesTheOldestHeldSequence() {
        var machine = ShipperStateMachine(agentID: "edge-01")
        #expect(machine.enqueue(sequence: 7, size: 10).isEmpty)
        #expect(machine.enqueue(sequence: 8, size: 10).isEmpty)
        #expect(machine.connected() == [.send(.hello(Message.Hello(agentID: "edge-01", resumeSequence: 7)))])
    }

    @Test func nothingIsSentBeforeWelcome() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.connected()
        #expect(machine.enqueue(sequence: 1, size: 10).isEmpty)
        #expect(machine.received(Self.welcome()) == [.sendBatch(sequence: 1)])
    }

    @Test func creditExhaustionStopsSendingUntilAnAckGrantsMore() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.connected()
        _ = machine.received(Self.welcome(credit: 250))
        #expect(machine.enqueue(sequence: 1, size: 100) == [.sendBatch(sequence: 1)])
        #expect(machine.enqueue(sequence: 2, size: 100) == [.sendBatch(sequence: 2)])
        // 50 bytes of credit left: the third batch waits.
        #expect(machine.enqueue(sequence: 3, size: 100).isEmpty)
        #expect(machine.enqueue(sequence: 4, size: 10).isEmpty, "order is kept: a small batch does not jump the queue")
        #expect(machine.availableCredit == 50)
        // 150 bytes of credit: both waiting batches go, in order.
        let actions = machine.received(.ack(Message.Ack(sequence: 1, credit: 100)))
        #expect(actions == [.release(upTo: 1), .sendBatch(sequence: 3), .sendBatch(sequence: 4)])
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
            for case .sendBatch(let s) in machine.enqueue(sequence: sequence, size: size) {
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
        for sequence in UInt64(1)...4 { _ = machine.enqueue(sequence: sequence, size: 10) }
        _ = machine.connected()
        #expect(
            machine.received(Self.welcome(highWater: 2, credit: 1000))
                == [.release(upTo: 2), .sendBatch(sequence: 3), .sendBatch(sequence: 4)]
        )
    }

    @Test func batchLargerThanTheFrameLimitIsDropped() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.enqueue(sequence: 1, size: 20_000)
        _ = machine.connected()
        #expect(
            machine.received(Self.welcome(credit: 100_000, maxFrame: 10_000))
                == [.dropOversized(sequence: 1, size: 20_000)]
        )
        #expect(machine.enqueue(sequence: 2, size: 50_000) == [.dropOversized(sequence: 2, size: 50_000)])
        #expect(machine.enqueue(sequence: 3, size: 100) == [.sendBatch(sequence: 3)])
    }

    @Test func goAwayAndErrorsCloseTheSession() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.connected()
        let goAway = Message.GoAway(reason: .shuttingDown, retryAfterMilliseconds: 500, text: "bye")
        #expect(machine.received(.goAway(goAway)) == [.close(.goAway(goAway))])
        #expect(machine.enqueue(sequence: 1, size: 1).isEmpty)

        var other = ShipperStateMachine(agentID: "a")
        _ = other.connected()
        let error = Message.WireError(code: .identityMismatch, message: "no")
        #expect(other.received(.error(error)) == [.close(.remoteError(error))])
    }

    @Test func anInvalidBatchErrorDropsTheOldestUnacknowledgedBatchOnly() {
        var machine = ShipperStateMachine(agentID: "a")
        _ = machine.connected()
        _ = machine.received(Self.welcome())
        #expect(machine.enqueue(sequence: 4, size: 10) == [.sendBatch(sequence: 4)])
        #expect(machine.enqueue(sequence: 5, size: 10) == [.sendBatch(sequence: 5)])
        _ = machine.received(.ack(Message.Ack(sequence: 4, credit: 10)))
        let invalid = Message.WireError(code: .invalidBatch, message: "batch 5: bad body")
        #expect(machine.received(.error(invalid)) == [.dropRejected(sequence: 5), .close(.remoteError(invalid))])

        // A retryable refusal (storage down) keeps the batch for the next session.
        var other = ShipperStateMachine(agentID: "a")
        _ = other.connected()
        _ = other.received(Self.welcome())
        _ = other.enqueue(sequence: 1, size: 10)
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
