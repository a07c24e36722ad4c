/// What a source does when the disk spool is full (`when_full` of a source).
///
/// Every discarded batch is counted, so a drop is never silent.
public enum SpoolPolicy: String, Sendable, Hashable, CaseIterable {
    /// The source waits until the spool has room: a stdin source stops reading, a tailed file stops advancing.
    /// Nothing is lost while the input can wait; the default for `file` and `stdin` sources.
    case block
    /// The oldest not-yet-sent spooled batches of `drop_oldest` sources are discarded, and counted, to make room
    /// for the new batch. The default for `sensor` sources, whose latest readings matter most.
    case dropOldest = "drop_oldest"
    /// The new batch is discarded, and counted; what is already spooled is kept.
    case dropNewest = "drop_newest"
}
