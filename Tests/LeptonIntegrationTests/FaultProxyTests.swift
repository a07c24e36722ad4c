import Foundation
import LeptonTestSupport
import NIOCore
import NIOPosix
import Testing

/// The fault proxy itself, between a blocking POSIX client and an echo server, all on loopback.
@Suite struct FaultProxyTests {
    @Test func passForwardsBothWays() async throws {
        try await withEchoProxy { proxy in
            let client = try await TestClient.open(port: proxy.port)
            defer { client.disconnect() }
            let message = Array("through the proxy and back".utf8)
            try await client.write(message)
            #expect(try await client.read(exactly: message.count) == message)
            #expect(proxy.connectionsAccepted == 1)
            let counted = await eventually(timeout: .seconds(2)) { proxy.bytesForwarded == 2 * message.count }
            #expect(counted, "bytes forwarded: \(proxy.bytesForwarded)")
        }
    }

    @Test func resetAbortsOpenAndNewConnections() async throws {
        try await withEchoProxy { proxy in
            let established = try await TestClient.open(port: proxy.port)
            defer { established.disconnect() }
            try await established.write(Array("ping".utf8))
            #expect(try await established.read(exactly: 4) == Array("ping".utf8))

            await proxy.setModeAndWait(.reset)
            #expect(await established.read(timeout: .seconds(2)) == .failed(ECONNRESET))

            let late = try await TestClient.open(port: proxy.port)
            defer { late.disconnect() }
            #expect(await late.read(timeout: .seconds(2)) == .failed(ECONNRESET))
        }
    }

    @Test func blackholeSwallowsWithoutClosingAndStaysDead() async throws {
        try await withEchoProxy { proxy in
            let established = try await TestClient.open(port: proxy.port)
            defer { established.disconnect() }
            try await established.write(Array("ping".utf8))
            #expect(try await established.read(exactly: 4) == Array("ping".utf8))

            await proxy.setModeAndWait(.blackhole)
            try await established.write(Array("lost".utf8))
            #expect(await established.read(timeout: .milliseconds(300)) == .timedOut, "no echo, no FIN, no RST")

            let swallowed = try await TestClient.open(port: proxy.port)
            defer { swallowed.disconnect() }
            try await swallowed.write(Array("also lost".utf8))
            #expect(await swallowed.read(timeout: .milliseconds(300)) == .timedOut)

            // Back to pass: the old connection stays a dead link, a new one forwards.
            await proxy.setModeAndWait(.pass)
            try await established.write(Array("late".utf8))
            #expect(await established.read(timeout: .milliseconds(300)) == .timedOut)
            let fresh = try await TestClient.open(port: proxy.port)
            defer { fresh.disconnect() }
            try await fresh.write(Array("pong".utf8))
            #expect(try await fresh.read(exactly: 4) == Array("pong".utf8))
            #expect(proxy.connectionsAccepted == 3)
        }
    }

    @Test func slowThrottlesEachDirection() async throws {
        try await withEchoProxy(mode: .slow(bytesPerSecond: 128 * 1024)) { proxy in
            let client = try await TestClient.open(port: proxy.port)
            defer { client.disconnect() }
            let payload = (0..<64 * 1024).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let start = ContinuousClock.now
            try await client.write(payload)
            let echoed = try await client.read(exactly: payload.count, timeout: .seconds(10))
            let elapsed = ContinuousClock.now - start
            #expect(echoed == payload)
            // 64 KiB at 128 KiB/s is about 0.5 s one way; only a loose lower bound, never an upper one.
            #expect(elapsed >= .milliseconds(300), "64 KiB echoed in \(elapsed)")
        }
    }
}

/// Runs `body` with a proxy in front of a fresh echo server; both are stopped afterwards, also when `body` throws.
private func withEchoProxy(
    mode: FaultProxy.Mode = .pass,
    _ body: (FaultProxy) async throws -> Void
) async throws {
    let echo = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(EchoHandler())
            }
        }
        .bind(host: "127.0.0.1", port: 0)
        .get()
    let proxy: FaultProxy
    do {
        proxy = try await FaultProxy(targetPort: echo.localAddress?.port ?? 0, mode: mode)
    } catch {
        try? await echo.close()
        throw error
    }
    do {
        try await body(proxy)
    } catch {
        try? await proxy.stop()
        try? await echo.close()
        throw error
    }
    try await proxy.stop()
    try await echo.close()
}

private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}

/// A blocking loopback TCP client; every call runs on NIO's thread pool and every receive has a timeout.
private struct TestClient: Sendable {
    enum Received: Equatable {
        case bytes([UInt8])
        /// The peer closed the connection (FIN).
        case closed
        /// Nothing within the timeout (EAGAIN).
        case timedOut
        case failed(Int32)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let descriptor: Int32

    static func open(port: Int) async throws -> TestClient {
        try await NIOThreadPool.singleton.runIfActive {
            guard let descriptor = connectLoopback(port: port) else {
                throw Failure(description: "connect to 127.0.0.1:\(port): errno \(errno)")
            }
            let client = TestClient(descriptor: descriptor)
            client.setTimeout(SO_SNDTIMEO, .seconds(5))
            return client
        }
    }

    func write(_ bytes: [UInt8]) async throws {
        try await NIOThreadPool.singleton.runIfActive {
            var offset = 0
            while offset < bytes.count {
                let sent = bytes[offset...].withUnsafeBytes {
                    send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                guard sent > 0 else { throw Failure(description: "send: errno \(errno)") }
                offset += sent
            }
        }
    }

    /// One `recv` of up to 64 KiB, waiting at most `timeout`.
    func read(timeout: Duration) async -> Received {
        (try? await NIOThreadPool.singleton.runIfActive { receiveBlocking(timeout: timeout) }) ?? .failed(-1)
    }

    /// Exactly `count` bytes, or throws (closed, reset, or nothing for `timeout`).
    func read(exactly count: Int, timeout: Duration = .seconds(5)) async throws -> [UInt8] {
        try await NIOThreadPool.singleton.runIfActive {
            var received: [UInt8] = []
            while received.count < count {
                guard case .bytes(let bytes) = receiveBlocking(timeout: timeout, maximum: count - received.count) else {
                    throw Failure(description: "received \(received.count) of \(count) bytes, errno \(errno)")
                }
                received += bytes
            }
            return received
        }
    }

    func disconnect() {
        close(descriptor)
    }

    private func receiveBlocking(timeout: Duration, maximum: Int = 64 * 1024) -> Received {
        setTimeout(SO_RCVTIMEO, timeout)
        var buffer = [UInt8](repeating: 0, count: maximum)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count > 0 { return .bytes(Array(buffer.prefix(count))) }
        if count == 0 { return .closed }
        let error = errno
        return error == EAGAIN || error == EWOULDBLOCK ? .timedOut : .failed(error)
    }

    private func setTimeout(_ option: Int32, _ timeout: Duration) {
        let microseconds = timeout.components.seconds * 1_000_000 + timeout.components.attoseconds / 1_000_000_000_000
        var value = timeval()
        value.tv_sec = time_t(microseconds / 1_000_000)
        value.tv_usec = suseconds_t(microseconds % 1_000_000)
        _ = setsockopt(descriptor, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
    }
}
