/// Why `lepton-collector certs …` could not create, load or use the deployment's certificate authority.
///
/// The message is written for an operator, e.g.
/// `/etc/lepton/pki/ca.pem already exists; refusing to replace the CA (use --force)`.
public struct CertificateAuthorityError: Error, Sendable, CustomStringConvertible {
    /// A coarse classification, stable enough to branch on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case alreadyExists
            case notFound
            case invalidAgentName
            case invalidArgument
            case invalidFile
            case fileSystem
            case signing
        }

        private var value: Value

        private init(_ value: Value) {
            self.value = value
        }

        /// A CA or agent file exists and `force` was not given.
        public static let alreadyExists = Self(.alreadyExists)
        /// The CA certificate or key to issue with is missing.
        public static let notFound = Self(.notFound)
        /// The agent name is not 1 to 128 of `A-Z a-z 0-9 . _ -`.
        public static let invalidAgentName = Self(.invalidAgentName)
        /// Some other argument is unusable: a host, a validity, an empty directory.
        public static let invalidArgument = Self(.invalidArgument)
        /// A PEM file could not be parsed, or the CA key does not belong to the CA certificate.
        public static let invalidFile = Self(.invalidFile)
        /// Creating, writing or renaming a file or directory failed.
        public static let fileSystem = Self(.fileSystem)
        /// Building or signing a certificate failed.
        public static let signing = Self(.signing)

        public var description: String {
            String(describing: value)
        }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong, in words an operator understands.
    public var message: String
    /// The library or system error behind this one, if any.
    public var underlying: (any Error)?

    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        guard let underlying else { return message }
        return "\(message): \(underlying)"
    }
}
