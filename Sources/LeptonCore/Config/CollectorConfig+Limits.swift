extension CollectorConfig {
    /// The collector's `limits` section: protocol limits announced to agents and enforced per connection.
    public struct Limits: Sendable, Hashable {
        /// Largest wire frame accepted; an oversized length is rejected before any allocation.
        public var maxFrameBytes: Int
        /// Largest batch after decompression (the guard against decompression bombs).
        public var maxBatchRawBytes: Int
        /// Bytes an agent may have in flight unacknowledged; at least ``maxFrameBytes``.
        public var creditWindowBytes: Int
        /// Interval of heartbeat pings; a connection silent for longer is considered dead.
        public var heartbeat: Duration
        /// Longest time from TCP accept to a completed TLS and HELLO/WELCOME exchange.
        public var handshakeTimeout: Duration
        /// How long a graceful shutdown waits for connections to drain.
        public var shutdownTimeout: Duration

        /// Default `max_frame_bytes`: 8MiB.
        public static let defaultMaxFrameBytes = 8 << 20
        /// Default `max_batch_raw_bytes`: 16MiB.
        public static let defaultMaxBatchRawBytes = 16 << 20
        /// Default `credit_window_bytes`: 16MiB.
        public static let defaultCreditWindowBytes = 16 << 20
        /// Default `heartbeat`: 15s.
        public static let defaultHeartbeat: Duration = .seconds(15)
        /// Default `handshake_timeout`: 10s.
        public static let defaultHandshakeTimeout: Duration = .seconds(10)
        /// Default `shutdown_timeout`: 10s.
        public static let defaultShutdownTimeout: Duration = .seconds(10)

        public init(
            maxFrameBytes: Int = Limits.defaultMaxFrameBytes,
            maxBatchRawBytes: Int = Limits.defaultMaxBatchRawBytes,
            creditWindowBytes: Int = Limits.defaultCreditWindowBytes,
            heartbeat: Duration = Limits.defaultHeartbeat,
            handshakeTimeout: Duration = Limits.defaultHandshakeTimeout,
            shutdownTimeout: Duration = Limits.defaultShutdownTimeout
        ) {
            self.maxFrameBytes = maxFrameBytes
            self.maxBatchRawBytes = maxBatchRawBytes
            self.creditWindowBytes = creditWindowBytes
            self.heartbeat = heartbeat
            self.handshakeTimeout = handshakeTimeout
            self.shutdownTimeout = shutdownTimeout
        }
    }
}

extension CollectorConfig.Limits {
    static let keys = [
        "max_frame_bytes", "max_batch_raw_bytes", "credit_window_bytes", "heartbeat", "handshake_timeout",
        "shutdown_timeout",
    ]

    /// Largest value a 32-bit wire field can announce.
    static let wireMaximum = Int(UInt32.max)

    init(config node: ConfigNode) throws(ConfigError) {
        let map = try node.mapping(allowedKeys: Self.keys)
        self.init()
        if let value = map.optional("max_frame_bytes") {
            maxFrameBytes = try value.byteSize()
            let minimum = WireProtocol.minimumMaxFrameBytes
            if maxFrameBytes < minimum || maxFrameBytes > Self.wireMaximum {
                throw value.error("must be between \(ByteSize.format(minimum)) and \(Self.wireMaximum) bytes")
            }
        }
        if let value = map.optional("max_batch_raw_bytes") {
            maxBatchRawBytes = try value.positiveByteSize()
            if maxBatchRawBytes > Self.wireMaximum {
                throw value.error("must be at most \(Self.wireMaximum) bytes")
            }
        }
        if let value = map.optional("credit_window_bytes") {
            creditWindowBytes = try value.positiveByteSize()
        }
        if let value = map.optional("heartbeat") {
            heartbeat = try value.positiveDuration()
            // Agents check for a due ping once a second, so a shorter heartbeat would drop idle sessions.
            if heartbeat < .seconds(1) || heartbeat.milliseconds > Int64(UInt32.max) {
                throw value.error("must be between 1s and \(UInt32.max)ms")
            }
        }
        if let value = map.optional("handshake_timeout") {
            handshakeTimeout = try value.positiveDuration()
        }
        if let value = map.optional("shutdown_timeout") {
            shutdownTimeout = try value.duration()
        }
        if creditWindowBytes < maxFrameBytes {
            let at = node.find("credit_window_bytes") ?? node.find("max_frame_bytes") ?? node
            throw at.error(
                "credit_window_bytes (\(ByteSize.format(creditWindowBytes))) must be at least "
                    + "max_frame_bytes (\(ByteSize.format(maxFrameBytes)))"
            )
        }
    }
}
