extension String {
    /// Whether both strings are the same bytes. Swift's `==` also equates canonically equivalent spellings ("é"
    /// and "e" + U+0301); names and texts on the wire must keep the bytes they were written with.
    func hasSameUTF8(as other: String) -> Bool {
        utf8.count == other.utf8.count && utf8.elementsEqual(other.utf8)
    }

    /// Feeds the string's bytes to `hasher`, consistently with ``hasSameUTF8(as:)``.
    func hashUTF8(into hasher: inout Hasher) {
        var copy = self
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(utf8.count)
    }
}
