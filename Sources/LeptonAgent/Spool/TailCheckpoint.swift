/// Which file a tailed source was reading: device and inode, plus a fingerprint of the first bytes so that a
/// reused inode (the old file deleted, a new one created) is not mistaken for the same file.
struct FileIdentity: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64
    /// How many leading bytes the fingerprint covers (at most ``FileIdentity/fingerprintBytes``).
    var fingerprintLength: UInt16
    /// CRC-32C of the first `fingerprintLength` bytes.
    var fingerprint: UInt32

    /// Bytes read for a fingerprint.
    static let fingerprintBytes = 1024
}

/// Where a tailed file was read up to when a batch was sealed: enough to resume after a restart.
struct TailCheckpoint: Hashable, Sendable {
    var file: FileIdentity
    /// Byte offset just past the last line in the batch.
    var offset: Int64
}

/// End offsets of records read from one file, in step with the records they came with.
struct FilePositions: Hashable, Sendable {
    var file: FileIdentity
    /// `endOffsets[i]` is the offset just past record `i` (its line and newline).
    var endOffsets: [Int64]
}
