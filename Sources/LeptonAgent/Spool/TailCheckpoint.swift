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

    /// Device and inode: what two open files share when they are the same file, whatever their first bytes.
    var node: FileNode { FileNode(device: device, inode: inode) }
}

/// A file on disk, by device and inode.
struct FileNode: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64
}

/// Names the path a tail follows (one source may follow many, through a glob): a 64-bit FNV-1a hash of the
/// path's bytes, which fits in a spool record and in a state file name however long the path is.
struct TailKey: Hashable, Sendable, CustomStringConvertible {
    var value: UInt64

    init(value: UInt64) {
        self.value = value
    }

    init(path: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        value = hash
    }

    /// A checkpoint written before sources followed several paths: it names no path, and is found again by the
    /// identity of the file it describes.
    static let unknown = TailKey(value: 0)

    /// Sixteen hex digits.
    var description: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// Where a tailed file was read up to when a batch was sealed: enough to resume after a restart.
struct TailCheckpoint: Hashable, Sendable {
    /// The path followed.
    var key: TailKey
    var file: FileIdentity
    /// Byte offset just past the last line in the batch.
    var offset: Int64
}

/// End offsets of records read from one file, in step with the records they came with.
struct FilePositions: Hashable, Sendable {
    var key: TailKey
    var file: FileIdentity
    /// `endOffsets[i]` is the offset just past record `i` (its line and newline).
    var endOffsets: [Int64]
}
