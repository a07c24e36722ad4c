import Testing

@testable import LeptonCore

/// The YAML composer on libyaml: positions, quoting styles, aliases, and the errors a configuration can hit.
@Suite struct YAMLComposerTests {
    static func compose(_ text: String) throws -> YAMLNode {
        try #require(try YAMLComposer.compose(text))
    }

    static func failure(_ text: String) -> YAMLComposer.Failure? {
        do {
            _ = try YAMLComposer.compose(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func keepsOrderStylesAndPositions() throws {
        let root = try Self.compose("b: 'x'\na:\n  - \"y\"\n  - z\n  - |\n    l\n")
        guard case .mapping(let mapping) = root else {
            Issue.record("not a mapping")
            return
        }
        #expect(mapping.pairs.map { $0.key.scalar?.string } == ["b", "a"])
        #expect(mapping.pairs[0].value.scalar?.style == .singleQuoted)
        guard case .sequence(let list) = mapping.pairs[1].value else {
            Issue.record("not a list")
            return
        }
        #expect(list.items.map { $0.scalar?.string } == ["y", "z", "l\n"])
        #expect(list.items.map { $0.scalar?.style } == [.doubleQuoted, .plain, .literal])
        #expect(list.items[1].mark == YAMLNode.Mark(line: 4, column: 5))
        #expect(mapping.pairs[1].key.mark == YAMLNode.Mark(line: 2, column: 1))
    }

    @Test func aliasesStandForTheirAnchoredNodes() throws {
        let root = try Self.compose("base: &tls { ca: ca.pem }\nother: *tls\n")
        guard case .mapping(let mapping) = root, case .mapping(let other) = mapping.pairs[1].value else {
            Issue.record("not mappings")
            return
        }
        #expect(other.pairs.map { $0.value.scalar?.string } == ["ca.pem"])
        #expect(Self.failure("a: *nowhere\n")?.message == "invalid YAML: found undefined alias 'nowhere'")
    }

    @Test func anEmptyStreamHasNoDocumentAndASecondDocumentIsRefused() throws {
        #expect(try YAMLComposer.compose("# only a comment\n") == nil)
        let second = try #require(Self.failure("a: 1\n---\nb: 2\n"))
        #expect(second.line == 2 && second.column == 1)
        #expect(second.message.contains("single document"))
    }

    @Test func deepNestingAndControlCharactersAreErrorsNotCrashes() throws {
        let deep = String(repeating: "[", count: YAMLComposer.maxDepth + 10)
        #expect(try #require(Self.failure(deep)).message.contains("nested deeper than"))
        let control = try #require(Self.failure("a: b\n\u{1}\n"))
        #expect(control.line == 2 && control.column == 1)
        #expect(control.message.hasPrefix("invalid YAML: control characters are not allowed"))
    }

    @Test func duplicateKeysAreReportedAtTheirFirstOccurrence() throws {
        let failure = try #require(Self.failure("x: 1\nb: 2\na: 3\nb: 4\na: 5\n"))
        #expect(failure.message == "duplicate key 'a', 'b' in the same mapping")
        #expect(failure.line == 3 && failure.column == 1)
    }
}
