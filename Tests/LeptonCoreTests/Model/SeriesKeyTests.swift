import Testing

@testable import LeptonCore

@Suite struct SeriesKeyTests {
    @Test func aStreamWithoutTagsIsItsName() {
        #expect(SeriesKey(stream: "thermal.zone0.temp").text == "thermal.zone0.temp")
    }

    @Test func tagsFollowInKeyOrder() {
        let key = SeriesKey(stream: "cpu.usage", tags: ["site": "lyon", "host": "edge-17"])
        #expect(key.text == "cpu.usage,host=edge-17,site=lyon")
    }

    @Test(arguments: [
        SeriesKey(stream: "a,b=c\\d"),
        SeriesKey(stream: "m", tags: ["k,1": "v=1", "back\\slash": "x\\", "empty": ""]),
        SeriesKey(stream: "", tags: ["only": "tag"]),
        SeriesKey(stream: "ünï cødé", tags: ["日本": "語 🚀"]),
    ])
    func anyNameAndTagsSurviveTheRoundTrip(_ key: SeriesKey) throws {
        #expect(try SeriesKey(parsing: key.text) == key)
    }

    @Test(arguments: ["a\\", "a,b", "a,=v", "a=b", "a,k=v=w", "a,k=v,"])
    func malformedKeysAreErrors(_ text: String) {
        #expect(throws: SeriesKeyError.self) { try SeriesKey(parsing: text) }
    }

    @Test func tagsAreSortedUniqueAndRemovable() {
        var tags: Tags = ["b": "2", "a": "1"]
        tags["c"] = "3"
        tags["a"] = "one"
        tags["b"] = nil
        #expect(tags.map(\.key) == ["a", "c"])
        #expect(tags["a"] == "one")
        #expect(tags == Tags(["c": "3", "a": "one"]))
    }

    @Test(arguments: [BatchEncoding.rowV1, .columnarV1])
    func taggedRecordsSurviveBothEncodings(_ encoding: BatchEncoding) throws {
        let records = [
            Record(stream: "cpu.usage", tags: ["host": "a"], timestamp: 1_000, value: .number(1)),
            Record(stream: "cpu.usage", tags: ["host": "b"], timestamp: 1_000, value: .number(2)),
            Record(stream: "cpu.usage", timestamp: 2_000, value: .number(3)),
            Record(stream: "cpu.usage", tags: ["host": "a"], timestamp: 2_000, value: .number(4)),
            Record(stream: "log", tags: ["level": "error"], timestamp: 3_000, value: .text("boom")),
        ]
        let frame = try BatchCodec.encode(records, sequence: 1, encoding: encoding)
        let decoded = try BatchCodec.decode(frame, maxRawBytes: 1 << 20)
        // Columnar groups a batch by stream; compare as sets of records per stream.
        #expect(decoded.count == records.count)
        #expect(Set(decoded) == Set(records))
        #expect(decoded.filter { $0.tags["host"] == "a" }.map(\.value) == [.number(1), .number(4)])
    }

    @Test(arguments: [BatchEncoding.rowV1, .columnarV1])
    func canonicallyEquivalentNamesStayTwoStreams(_ encoding: BatchEncoding) throws {
        let composed = "caf\u{E9}.temp"
        let decomposed = "cafe\u{301}.temp"
        #expect(composed == decomposed, "Swift's == equates them")
        #expect(SeriesKey(stream: composed) != SeriesKey(stream: decomposed))
        let records = [
            Record(stream: composed, timestamp: 1, value: .number(1)),
            Record(stream: decomposed, timestamp: 2, value: .number(2)),
        ]
        let decoded = try BatchCodec.decode(
            try BatchCodec.encode(records, sequence: 1, encoding: encoding),
            maxRawBytes: 1 << 20
        )
        #expect(decoded.map { Array($0.stream.utf8) } == records.map { Array($0.stream.utf8) })
    }
}
