import Foundation
import Synchronization

/// The live agent sessions, for the API and for graceful shutdown.
public final class SessionRegistry: Sendable {
    public struct Entry: Sendable {
        public var agent: String
        public var address: String
        public var connectedAt: Date
        public var lastSeen: Date
        let shutdown: @Sendable () -> Void
    }

    /// Guards the live sessions by id, and whether shutdown began.
    private let state = Mutex<(sessions: [UInt64: Entry], closing: Bool)>(([:], false))

    public init() {}

    /// Adds a connection as it is accepted; returns false (and registers nothing) when the collector is
    /// already shutting down.
    func register(id: UInt64, address: String, shutdown: @escaping @Sendable () -> Void) -> Bool {
        state.withLock { state in
            guard !state.closing else { return false }
            let now = Date()
            state.sessions[id] = Entry(agent: "", address: address, connectedAt: now, lastSeen: now, shutdown: shutdown)
            return true
        }
    }

    /// The connection's HELLO was accepted: it is now a session of `agent`.
    func identify(id: UInt64, agent: String) {
        state.withLock { $0.sessions[id]?.agent = agent }
    }

    func touch(id: UInt64) {
        state.withLock { $0.sessions[id]?.lastSeen = Date() }
    }

    func remove(id: UInt64) {
        _ = state.withLock { $0.sessions.removeValue(forKey: id) }
    }

    /// Every identified session, most recent first.
    public var entries: [Entry] {
        state.withLock { $0.sessions.values.filter { !$0.agent.isEmpty } }.sorted { $0.connectedAt > $1.connectedAt }
    }

    /// Asks every session to finish its current batch, send GOAWAY and close; refuses new ones.
    func shutdownAll() {
        let hooks = state.withLock { state in
            state.closing = true
            return state.sessions.values.map(\.shutdown)
        }
        for hook in hooks { hook() }
    }
}
