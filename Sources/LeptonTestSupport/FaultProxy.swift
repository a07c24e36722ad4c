import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy on loopback that injects network faults between an agent and a collector.
///
/// Agents connect to `port`; each accepted connection is forwarded to `127.0.0.1:targetPort` (which `retarget` changes
/// for new connections, like a load balancer moving to another backend) unless the mode says otherwise. The mode applies to new connections at once and to open ones on their event loops right after
/// `setMode` returns (`setModeAndWait` waits for that):
///
/// - `.pass` forwards bytes both ways.
/// - `.blackhole` forwards nothing either way and sends nothing back: no data, no FIN, no RST. The proxy stops
///   reading, so bytes pile up in the kernel buffers and the peer's writes succeed until its send buffer is full, as
///   with a real black hole. New connections are accepted and swallowed the same way (no upstream connection).
///   A link that went through a black hole stays dead: bytes swallowed are gone, and after `.blackhole` → `.pass`
///   existing connections keep swallowing (until the peer gives up or `stop()`); only new connections forward.
/// - `.reset` aborts every open connection, both sides, with a TCP RST (`SO_LINGER` {1, 0} then close), dead links
///   included, and resets new connections right after accept.
/// - `.slow` forwards both ways at about `bytesPerSecond` per direction per connection, in chunks of about 1/20 s.
///   `.slow` ↔ `.pass` changes apply to open connections.
///
/// Memory per direction is bounded: reading stops while the other side is not writable or, in slow mode, while
/// more than 64 KiB wait to be written (plus at most one read burst).
///
/// When the target refuses or drops the connection, the agent's connection is closed (FIN) after the bytes already
/// queued for it.
public final class FaultProxy: Sendable {
    /// What the proxy does with connections.
    public enum Mode: Sendable, Hashable {
        /// Forward bytes both ways.
        case pass
        /// Keep every connection open but forward nothing, either way, and send nothing back (no RST, no FIN).
        case blackhole
        /// Abort every open connection with a TCP RST, and reset new ones right after accept.
        case reset
        /// Forward both ways, throttled to about this rate per direction per connection.
        case slow(bytesPerSecond: Int)
    }

    /// The port agents connect to (on 127.0.0.1).
    public let port: Int
    private let listener: any Channel
    private let registry: FaultProxyRegistry

    /// Binds 127.0.0.1 on a free port and forwards to `127.0.0.1:targetPort`.
    public init(targetPort: Int, mode: Mode = .pass, logger: Logger = testLogger("fault-proxy")) async throws {
        let registry = FaultProxyRegistry(mode: mode, targetPort: targetPort, logger: logger)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try ProxyLink.attach(to: channel, registry: registry)
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        self.listener = listener
        self.registry = registry
        self.port = listener.localAddress?.port ?? 0
        logger.info("fault proxy listening", metadata: ["proxy.port": "\(port)", "proxy.target": "\(targetPort)"])
    }

    /// Forwards new connections to `127.0.0.1:targetPort` from now on; open ones keep theirs.
    public func retarget(_ targetPort: Int) {
        registry.retarget(targetPort)
        registry.logger.info("fault proxy retargeted", metadata: ["proxy.target": "\(targetPort)"])
    }

    /// Changes the mode for new connections now, and for open connections on their event loops shortly after.
    public func setMode(_ mode: Mode) {
        _ = registry.setMode(mode)
    }

    /// Changes the mode and returns once every open connection applied it (for `.reset`: the RSTs were sent).
    public func setModeAndWait(_ mode: Mode) async {
        for applied in registry.setMode(mode) {
            try? await applied.get()
        }
    }

    /// Connections accepted since the start, whatever happened to them.
    public var connectionsAccepted: Int { registry.connectionsAccepted }

    /// Bytes written onward so far, both directions together.
    public var bytesForwarded: Int { registry.bytesForwarded }

    /// Closes the listener and every connection (both sides, with a FIN) and waits until they are closed.
    public func stop() async throws {
        let links = registry.beginStop()
        do {
            try await listener.close()
        } catch ChannelError.alreadyClosed {
            // stopped twice
        }
        for link in links {
            try? await link.eventLoop.flatSubmit { link.value.close() }.get()
        }
        registry.logger.info("fault proxy stopped", metadata: ["proxy.port": "\(port)"])
    }
}

/// The state a `FaultProxy` shares between the caller's tasks and the event loops of its connections.
final class FaultProxyRegistry: Sendable {
    private struct State {
        var mode: FaultProxy.Mode
        var targetPort: Int
        var links: [Int: NIOLoopBound<ProxyLink>] = [:]
        var nextID = 0
        var accepted = 0
        var forwarded = 0
        var stopping = false
    }

    let logger: Logger
    /// Guards the current mode, the open links (each bound to its event loop), the counters, and whether `stop()`
    /// began. A mode change is enqueued on the links' loops under this lock, so changes reach every link in order.
    private let state: Mutex<State>

    init(mode: FaultProxy.Mode, targetPort: Int, logger: Logger) {
        self.state = Mutex(State(mode: mode, targetPort: targetPort))
        self.logger = logger
    }

    /// Registers a new link; returns its id, the mode it starts in and where it forwards to, or nil once the proxy is
    /// stopping.
    func admit(_ link: NIOLoopBound<ProxyLink>) -> (id: Int, mode: FaultProxy.Mode, targetPort: Int)? {
        state.withLock { state in
            guard !state.stopping else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.accepted += 1
            state.links[id] = link
            return (id, state.mode, state.targetPort)
        }
    }

    func retarget(_ targetPort: Int) {
        state.withLock { $0.targetPort = targetPort }
    }

    func remove(_ id: Int) {
        _ = state.withLock { $0.links.removeValue(forKey: id) }
    }

    func addForwarded(_ count: Int) {
        state.withLock { $0.forwarded += count }
    }

    /// Sets the mode and enqueues it on every open link; each future completes once that link applied it.
    func setMode(_ mode: FaultProxy.Mode) -> [EventLoopFuture<Void>] {
        let applied = state.withLock { state in
            state.mode = mode
            return state.links.values.map { link in link.eventLoop.submit { link.value.apply(mode) } }
        }
        logger.info("fault proxy mode", metadata: ["proxy.mode": "\(mode)", "proxy.connections": "\(applied.count)"])
        return applied
    }

    /// Refuses new links from now on and returns the open ones.
    func beginStop() -> [NIOLoopBound<ProxyLink>] {
        state.withLock { state in
            state.stopping = true
            return Array(state.links.values)
        }
    }

    var connectionsAccepted: Int { state.withLock { $0.accepted } }
    var bytesForwarded: Int { state.withLock { $0.forwarded } }
}
