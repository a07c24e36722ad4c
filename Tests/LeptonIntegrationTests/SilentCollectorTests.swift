import LeptonAgent
import LeptonCore
import LeptonTestSupport
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing

/// A collector that welcomes the agent and then never says another word (a half-open connection).
@Suite struct SilentCollectorTests {
    @Test func agentReconnectsAfterThreeSilentHeartbeats() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try TestPKI(directory: directory.file("pki"), agents: ["edge-09"])
        let sessions = SessionCount()
        let tls = try LeptonTLS.serverContext(pki.collectorTLS)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(FrameDecoder(maxFrameBytes: 1 << 20))
                    )
                    try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(FrameEncoder()))
                    return try NIOAsyncChannel<Message, Message>(wrappingChannelSynchronously: channel)
                }
            }
        let port = server.channel.localAddress?.port ?? 0
        let serverTask = Task {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask {
                            try? await connection.executeThenClose { messages, outbound in
                                for try await message in messages {
                                    guard case .hello = message else { continue }
                                    sessions.increment()
                                    try await outbound.write(
                                        .welcome(
                                            Message.Welcome(
                                                sessionID: 1,
                                                highWaterSequence: 0,
                                                initialCredit: 1 << 20,
                                                maxFrameBytes: 1 << 20,
                                                maxBatchRawBytes: 1 << 20,
                                                heartbeatMilliseconds: 1000
                                            )
                                        )
                                    )
                                    // Then silence: no PONG, no ACK, but the connection stays open.
                                }
                            }
                        }
                    }
                }
            }
        }
        let agent = try AgentHarness(
            config: AgentHarness.config(
                id: "edge-09",
                pki: pki,
                collectorPort: port,
                stateDirectory: directory.file("agent"),
                sources: [
                    SourceConfig(name: "load", kind: .sensor(paths: ["/proc/loadavg"], interval: .milliseconds(200)))
                ]
            )
        )
        let reconnected = await eventually(timeout: .seconds(15)) { sessions.value >= 2 }
        #expect(reconnected, "the agent should give up on a collector silent for 3 heartbeats and reconnect")
        try await agent.stop()
        try await server.channel.close()
        serverTask.cancel()
        _ = try? await serverTask.value
    }
}

/// Sessions the fake collector welcomed.
private final class SessionCount: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
