import Testing

@testable import LeptonAgent

@Suite struct LineSplitterTests {
    private func push(_ splitter: inout LineSplitter, _ text: String) -> [String] {
        Array(text.utf8).withUnsafeBytes { splitter.push($0) }
    }

    @Test func splitsAcrossChunksAndStripsCR() {
        var splitter = LineSplitter(maxLineBytes: 100)
        #expect(push(&splitter, "one\r\ntw") == ["one"])
        #expect(push(&splitter, "o\n\nthree") == ["two", ""])
        #expect(splitter.finish() == "three")
        #expect(splitter.finish() == nil)
    }

    @Test func longLinesAreCutAndCounted() {
        var splitter = LineSplitter(maxLineBytes: 5)
        #expect(push(&splitter, "abcdefgh") == [])
        #expect(push(&splitter, "ij\nok\n") == ["abcde", "ok"])
        #expect(splitter.truncatedLines == 1)
    }

    @Test func invalidUTF8IsRepairedNotDropped() {
        var splitter = LineSplitter(maxLineBytes: 100)
        let lines = [UInt8]([0x61, 0xFF, 0x62, 0x0A]).withUnsafeBytes { splitter.push($0) }
        #expect(lines == ["a\u{FFFD}b"])
    }
}
