import LeptonCore
import NIOCore
import Testing

@testable import LeptonCollector

@Suite struct SessionStateMachineTests {
    static let limits = SessionStateMachine.Limits(
        creditWindowBytes: 1000,
        maxFrameBytes: 1 << 20,
        maxBatchRawBytes: 1 << 20,
        heartbeatMilliseconds: 15_000
    )

    static func batch(_ sequence: UInt64, bodyBytes: Int = 100) -> Message.BatchFrame {
        Message.BatchFrame(
            sequence: sequence,
            recordCount: 1,
            encoding: 1,
            compression: 0,
            rawLength: UInt32(bodyBytes),
            checksum: 0,
            body: ByteBuffer(repeating: 0, count: bodyBytes)
        )
    }

    static func errorCode(_ actions: [SessionStateMachine.Action]) -> WireErrorCode? {
        guard case .send(.error(let error))? = actions.first else { return nil }
        return error.code
    }

    static func established(highWater: UInt64 = 0) -> SessionStateMachine {
        var machine = SessionStateMachine(peerIdentity: "edge-01", limits: limits, sessionID: 1)
        _ = machine.received(.hello(Message.Hello(agentID: "edge-01", resumeSequence: 0)))
        _ = machine.highWaterLoaded(highWater)
        return machine
    }

    @Test func handshakeLoadsTheHighWaterMarkThenWelcomes() {
        var machine = SessionStateMachine(peerIdentity: "edge-01", limits: Self.limits, sessionID: 3)
        #expect(
            machine.received(.hello(Message.Hello(agentID: "edge-01", resumeSequence: 5))) == [
                .loadHighWater(agentID: "edge-01")
            ]
        )
        let actions = machine.highWaterLoaded(4)
        #expect(
            actions == [
                .send(
                    .welcome(
                        Message.Welcome(
                            sessionID: 3,
                            highWaterSequence: 4,
                            initialCredit: 1000,
                            maxFrameBytes: 1 << 20,
                            maxBatchRawBytes: 1 << 20,
                            heartbeatMilliseconds: 15_000
                        )
                    )
                )
            ]
        )
        #expect(machine.agentID == "edge-01")
    }

    @Test func identityMismatchIsRefused() {
        var machine = SessionStateMachine(peerIdentity: "edge-01", limits: Self.limits, sessionID: 1)
        let actions = machine.received(.hello(Message.Hello(agentID: "edge-02", resumeSequence: 0)))
        guard case .send(.error(let error)) = actions.first else {
            Issue.record("expected ERROR, got \(actions)")
            return
        }
        #expect(error.code == .identityMismatch)
        #expect(actions.last == .close)
        #expect(machine.isClosed)
        #expect(machine.received(.batch(Self.batch(1))).isEmpty)
    }

    @Test func unsupportedVersionIsRefused() {
        var machine = SessionStateMachine(peerIdentity: "a", limits: Self.limits, sessionID: 1)
        let actions = machine.received(.hello(Message.Hello(protocolVersion: 9, agentID: "a", resumeSequence: 0)))
        #expect(Self.errorCode(actions) == .unsupportedVersion)
    }

    @Test func batchBeforeHelloIsAProtocolViolation() {
        var machine = SessionStateMachine(peerIdentity: "a", limits: Self.limits, sessionID: 1)
        let actions = machine.received(.batch(Self.batch(1)))
        #expect(Self.errorCode(actions) == .protocolViolation)
    }

    @Test func freshBatchIsCommittedThenAcknowledgedWithItsCredit() {
        var machine = Self.established()
        let batch = Self.batch(1)
        #expect(machine.received(.batch(batch)) == [.commit(batch)])
        let grant = SessionStateMachine.Grant(credit: 77, advisedBytesPerSecond: 5_000, saturated: true)
        #expect(
            machine.committed(batch, grant: grant)
                == [.send(.ack(Message.Ack(sequence: 1, credit: 77, advisedBytesPerSecond: 5_000, adviceFlags: 1)))]
        )
        #expect(machine.highWaterSequence == 1)
    }

    /// Credit comes from the scheduler, not from the batch's size: less than a batch slows the agent down, and a
    /// credit-only ACK (of the same high-water mark) lets it go on.
    @Test func grantedCreditIsWhatCanBeSpent() {
        var machine = Self.established()
        // Window 1000; each batch costs 122 bytes: 8 fit, leaving 24; 50 more make 74, short of a batch.
        for sequence in UInt64(1)...8 { _ = machine.received(.batch(Self.batch(sequence))) }
        _ = machine.committed(Self.batch(1), grant: .init(credit: 50))
        #expect(Self.errorCode(machine.received(.batch(Self.batch(9)))) == .creditExceeded)

        var waiting = Self.established()
        for sequence in UInt64(1)...8 { _ = waiting.received(.batch(Self.batch(sequence))) }
        _ = waiting.committed(Self.batch(1), grant: .init(credit: 50))
        #expect(waiting.granted(.init(credit: 0)).isEmpty)
        #expect(waiting.granted(.init(credit: 48)) == [.send(.ack(Message.Ack(sequence: 1, credit: 48)))])
        #expect(waiting.received(.batch(Self.batch(9))) == [.commit(Self.batch(9))])
    }

    @Test func overloadedSendsGoAwayWithTheRetryAndCloses() {
        var machine = SessionStateMachine(peerIdentity: "a", limits: Self.limits, sessionID: 1)
        let actions = machine.overloaded(retryAfterMilliseconds: 1_500)
        guard case .send(.goAway(let goAway)) = actions.first else {
            Issue.record("expected GOAWAY")
            return
        }
        #expect(goAway.reason == .overloaded && goAway.retryAfterMilliseconds == 1_500)
        #expect(actions.last == .close && machine.isClosed)
    }

    @Test func resentBatchesAreAcknowledgedAndNotCommittedAgain() {
        var machine = Self.established(highWater: 10)
        let old = Self.batch(9)
        #expect(
            machine.received(.batch(old))
                == [.duplicate(sequence: 9), .send(.ack(Message.Ack(sequence: 10, credit: UInt64(old.wireSize))))]
        )
        let fresh = Self.batch(11)
        #expect(machine.received(.batch(fresh)) == [.commit(fresh)])
    }

    @Test func sendingBeyondCreditEndsTheSession() {
        var machine = Self.established()
        // Window 1000; each batch costs 122 bytes (22 header + 100 body): 8 fit, the 9th does not.
        for sequence in UInt64(1)...8 {
            #expect(machine.received(.batch(Self.batch(sequence))) == [.commit(Self.batch(sequence))])
        }
        let actions = machine.received(.batch(Self.batch(9)))
        #expect(Self.errorCode(actions) == .creditExceeded)
        #expect(actions.last == .close)
    }

    @Test func acknowledgedCreditCanBeSpentAgain() {
        var machine = Self.established()
        for sequence in UInt64(1)...8 { _ = machine.received(.batch(Self.batch(sequence))) }
        _ = machine.committed(Self.batch(1), grant: .init(credit: UInt64(Self.batch(1).wireSize)))
        #expect(machine.received(.batch(Self.batch(9))) == [.commit(Self.batch(9))])
    }

    @Test(arguments: [UInt64(0), UInt64(Int64.max) + 1, .max])
    func sequenceOutsideTheStoreRangeIsInvalid(_ sequence: UInt64) {
        var machine = Self.established()
        #expect(Self.errorCode(machine.received(.batch(Self.batch(sequence)))) == .invalidBatch)
    }

    @Test func storageFailureIsRetryableAndNothingIsAcknowledged() {
        var machine = Self.established()
        _ = machine.received(.batch(Self.batch(1)))
        let actions = machine.commitFailed("disk full")
        guard case .send(.error(let error)) = actions.first else {
            Issue.record("expected ERROR")
            return
        }
        #expect(error.code == .storageUnavailable)
        #expect(error.retryable)
        #expect(actions.count == 2 && actions.last == .close)
        #expect(machine.highWaterSequence == 0)
        // A late commit report after the refusal acknowledges nothing.
        #expect(machine.committed(Self.batch(1), grant: .init(credit: 1)).isEmpty)
        #expect(machine.highWaterSequence == 0)
    }

    static let stats = Message.Stats(
        startedAt: 1_700_000_000_000_000_000,
        sources: [
            Message.Stats.SourceStats(
                source: "app",
                produced: 10,
                acknowledged: 7,
                pending: 2,
                dropped: [Message.Stats.Drop(reason: "parse_error", count: 1)]
            )
        ]
    )

    @Test func statsAfterWelcomeAreRecordedAndNotAnswered() {
        var machine = Self.established()
        #expect(machine.received(.stats(Self.stats)) == [.recordStats(Self.stats)])
        #expect(!machine.isClosed)
        // The session goes on: reports come every few seconds between batches.
        #expect(machine.received(.batch(Self.batch(1))) == [.commit(Self.batch(1))])
        #expect(machine.received(.stats(Self.stats)) == [.recordStats(Self.stats)])
    }

    @Test func statsBeforeHelloIsAProtocolViolation() {
        var machine = SessionStateMachine(peerIdentity: "edge-01", limits: Self.limits, sessionID: 1)
        let actions = machine.received(.stats(Self.stats))
        #expect(Self.errorCode(actions) == .protocolViolation)
        #expect(actions.last == .close)
        #expect(machine.isClosed)
    }

    @Test func statsBeforeWelcomeIsAProtocolViolation() {
        var machine = SessionStateMachine(peerIdentity: "edge-01", limits: Self.limits, sessionID: 1)
        _ = machine.received(.hello(Message.Hello(agentID: "edge-01", resumeSequence: 0)))
        // The high-water mark is still being loaded: WELCOME has not been sent.
        let actions = machine.received(.stats(Self.stats))
        #expect(Self.errorCode(actions) == .protocolViolation)
        #expect(actions.last == .close)
        #expect(machine.highWaterLoaded(0).isEmpty)
    }

    @Test func shutdownSendsGoAway() {
        var machine = Self.established()
        let actions = machine.shutdown(retryAfterMilliseconds: 2000)
        guard case .send(.goAway(let goAway)) = actions.first else {
            Issue.record("expected GOAWAY")
            return
        }
        #expect(goAway.reason == .shuttingDown)
        #expect(goAway.retryAfterMilliseconds == 2000)
        #expect(actions.last == .close)
    }
}
