/// A stream's tags: `key=value` pairs such as `site=lyon`, kept sorted by key with each key at most once, so two
/// tag sets with the same pairs are equal and encode to the same bytes.
public struct Tags: Hashable, Sendable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    /// One `key=value` pair.
    public struct Tag: Hashable, Sendable {
        public var key: String
        public var value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The pairs, sorted by key, keys unique.
    public private(set) var pairs: [Tag]

    /// No tags.
    public init() {
        pairs = []
    }

    /// The pairs of `dictionary`, sorted by key.
    public init(_ dictionary: [String: String]) {
        pairs = dictionary.map { Tag(key: $0.key, value: $0.value) }.sorted { $0.key < $1.key }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init()
        for (key, value) in elements { self[key] = value }
    }

    /// The value of `key`; setting `nil` removes the tag.
    public subscript(key: String) -> String? {
        get {
            let index = insertionIndex(of: key)
            return index < pairs.count && pairs[index].key == key ? pairs[index].value : nil
        }
        set {
            let index = insertionIndex(of: key)
            let present = index < pairs.count && pairs[index].key == key
            switch (present, newValue) {
            case (true, let value?): pairs[index].value = value
            case (true, nil): pairs.remove(at: index)
            case (false, let value?): pairs.insert(Tag(key: key, value: value), at: index)
            case (false, nil): break
            }
        }
    }

    public var startIndex: Int { pairs.startIndex }
    public var endIndex: Int { pairs.endIndex }
    public subscript(position: Int) -> Tag { pairs[position] }

    private func insertionIndex(of key: String) -> Int {
        pairs.partitioningIndex { $0.key >= key }
    }
}
