import LeptonCore

/// Reshapes events (`fields`), in this order: `drop`/`keep`, `rename`, `scale`/`offset`/`convert`, `to_tag`, `tags`.
///
/// Removed fields count as `field_dropped`, including a field replaced by a renamed one; a field turned into a tag
/// is not a drop. An event left without fields is not passed on. Numeric changes apply to numbers and booleans and
/// leave text untouched.
struct FieldsProcessor: Processor {
    static let reason = "field_dropped"

    /// What `scale`, `offset` and `convert` do to one field.
    struct Transform {
        var scale: Double = 1
        var offset: Double = 0
        var conversion: FieldsConfig.Conversion?

        func apply(_ value: Double) -> Double {
            let scaled = value * scale + offset
            return conversion?.apply(scaled) ?? scaled
        }
    }

    let drop: Set<String>
    let keep: Set<String>?
    /// Old name → new name.
    let renames: [String: String]
    let transforms: [String: Transform]
    let toTag: [String]
    /// Static tags, `${hostname}` replaced.
    let tags: Tags

    init(_ config: FieldsConfig, hostname: String) {
        drop = Set(config.drop)
        keep = config.keep.map { Set($0) }
        var renames: [String: String] = [:]
        for rename in config.rename {
            renames[rename.from] = rename.to
        }
        self.renames = renames
        var transforms: [String: Transform] = [:]
        for (field, scale) in config.scale {
            transforms[field, default: Transform()].scale = scale
        }
        for (field, offset) in config.offset {
            transforms[field, default: Transform()].offset = offset
        }
        for (field, conversion) in config.convert {
            transforms[field, default: Transform()].conversion = conversion
        }
        self.transforms = transforms
        toTag = config.toTag
        var tags = Tags()
        for tag in config.tags {
            tags[tag.key] = tag.value.replacing(FieldsConfig.hostnamePlaceholder, with: hostname)
        }
        self.tags = tags
    }

    func process(_ event: Event, now: Int64, into output: inout [Event], drops: inout ProcessorDrops) {
        var fields = event.fields
        if !drop.isEmpty || keep != nil {
            let drop = self.drop
            let keep = self.keep
            fields.removeAll { field in
                guard drop.contains(field.name) || !(keep?.contains(field.name) ?? true) else { return false }
                drops.add(stream: event.streamName(of: field.name), reason: Self.reason)
                return true
            }
        }
        if !renames.isEmpty, fields.contains(where: { renames[$0.name] != nil }) {
            fields = renamed(fields, of: event, drops: &drops)
        }
        if !transforms.isEmpty {
            for index in fields.indices {
                guard let transform = transforms[fields[index].name], let number = fields[index].value.number else {
                    continue
                }
                fields[index].value = .number(transform.apply(number))
            }
        }
        var tags = event.tags
        for name in toTag {
            guard let index = fields.firstIndex(where: { $0.name == name }) else { continue }
            tags[name] = fields[index].value.formattedText
            fields.remove(at: index)
        }
        for tag in self.tags {
            tags[tag.key] = tag.value
        }
        guard !fields.isEmpty else { return }
        var result = event
        result.fields = fields
        result.tags = tags
        output.append(result)
    }

    /// `fields` with `rename` applied; a renamed field replaces one that had its new name (counted as dropped).
    private func renamed(_ fields: [Event.Field], of event: Event, drops: inout ProcessorDrops) -> [Event.Field] {
        var targets: Set<String> = []
        for field in fields {
            if let newName = renames[field.name] { targets.insert(newName) }
        }
        var result: [Event.Field] = []
        result.reserveCapacity(fields.count)
        var placed: Set<String> = []
        for field in fields {
            if let newName = renames[field.name] {
                if placed.insert(newName).inserted {
                    result.append(Event.Field(newName, field.value))
                    continue
                }
            } else if !targets.contains(field.name) {
                result.append(field)
                continue
            }
            drops.add(stream: event.streamName(of: field.name), reason: Self.reason)
        }
        return result
    }
}
