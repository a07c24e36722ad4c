/// A YAML node as the configuration loader reads it: scalars keep their text and quoting style, mappings keep
/// their order, aliases are already replaced by the nodes they name, and every node has its position.
indirect enum YAMLNode: Sendable {
    /// A 1-based position, columns counted in Unicode scalars (as libyaml counts them).
    struct Mark: Sendable, Hashable {
        var line: Int
        var column: Int
    }

    enum Style: Sendable {
        case plain
        case singleQuoted
        case doubleQuoted
        case literal
        case folded
    }

    struct Scalar: Sendable {
        var string: String
        var style: Style
        var mark: Mark
    }

    /// Key-value pairs in document order.
    struct Mapping: Sendable, Sequence {
        var pairs: [(key: YAMLNode, value: YAMLNode)]
        var mark: Mark

        func makeIterator() -> IndexingIterator<[(key: YAMLNode, value: YAMLNode)]> { pairs.makeIterator() }
    }

    /// Items in document order.
    struct List: Sendable, Sequence {
        var items: [YAMLNode]
        var mark: Mark

        func makeIterator() -> IndexingIterator<[YAMLNode]> { items.makeIterator() }
    }

    case scalar(Scalar)
    case mapping(Mapping)
    case sequence(List)

    var mark: Mark {
        switch self {
        case .scalar(let scalar): return scalar.mark
        case .mapping(let mapping): return mapping.mark
        case .sequence(let list): return list.mark
        }
    }

    var scalar: Scalar? {
        guard case .scalar(let scalar) = self else { return nil }
        return scalar
    }
}
