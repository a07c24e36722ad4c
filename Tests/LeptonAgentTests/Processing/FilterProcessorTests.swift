import LeptonCore
import Testing

@testable import LeptonAgent

@Suite struct FilterProcessorTests {
    /// Fields temp = 30, ok = true, msg = "hello", code = "42" (text); tags site = lyon, rack = 12.
    static let event = Event(
        name: "env",
        timestamp: 1,
        tags: ["site": "lyon", "rack": "12"],
        fields: [
            Event.Field("temp", .number(30)),
            Event.Field("ok", .bool(true)),
            Event.Field("msg", .text("hello")),
            Event.Field("code", .text("42")),
        ]
    )

    static func holds(_ condition: FilterCondition) -> Bool {
        FilterProcessor.holds(FilterProcessor.Condition(condition), for: event)
    }

    static func field(_ name: String, _ operation: FilterOperation) -> FilterCondition {
        .compare(.field(name), operation)
    }

    /// A pattern the tests know to be valid.
    static func pattern(_ text: String) -> FilterPattern {
        try! FilterPattern(text)
    }

    /// Every operator on a number, a boolean, text, tags, the name and missing subjects.
    static let truthTable: [(FilterCondition, Bool)] = [
        (field("temp", .equal(.number(30))), true),
        (field("temp", .equal(.number(30.5))), false),
        (field("temp", .equal(.text("30"))), true),
        (field("temp", .equal(.text("30.0"))), false),
        (field("temp", .notEqual(.number(30))), false),
        (field("temp", .notEqual(.number(31))), true),
        (field("temp", .less(31)), true),
        (field("temp", .less(30)), false),
        (field("temp", .lessOrEqual(30)), true),
        (field("temp", .lessOrEqual(29.9)), false),
        (field("temp", .greater(30)), false),
        (field("temp", .greater(29)), true),
        (field("temp", .greaterOrEqual(30)), true),
        (field("temp", .greaterOrEqual(30.1)), false),
        (field("temp", .oneOf([.number(1), .number(30)])), true),
        (field("temp", .oneOf([.number(1), .text("x")])), false),
        (field("temp", .noneOf([.number(1), .number(30)])), false),
        (field("temp", .noneOf([.number(1), .text("x")])), true),
        (field("temp", .matches(pattern("^3"))), true),
        (field("temp", .matches(pattern("\\."))), false),
        (field("temp", .exists), true),
        (field("ok", .equal(.number(1))), true),
        (field("ok", .equal(.text("true"))), true),
        (field("ok", .greater(0.5)), true),
        (field("msg", .equal(.text("hello"))), true),
        (field("msg", .equal(.number(1))), false),
        (field("msg", .notEqual(.text("hello"))), false),
        (field("msg", .less(1e9)), false),
        (field("msg", .greaterOrEqual(-1e9)), false),
        (field("msg", .matches(pattern("ell"))), true),
        (field("msg", .matches(pattern("^ell"))), false),
        (field("msg", .oneOf([.text("hi"), .text("hello")])), true),
        (field("code", .equal(.number(42))), true),
        (field("code", .greater(41)), true),
        (field("missing", .equal(.number(1))), false),
        (field("missing", .notEqual(.number(1))), true),
        (field("missing", .less(1)), false),
        (field("missing", .lessOrEqual(1)), false),
        (field("missing", .greater(1)), false),
        (field("missing", .greaterOrEqual(1)), false),
        (field("missing", .oneOf([.number(1)])), false),
        (field("missing", .noneOf([.number(1)])), true),
        (field("missing", .matches(pattern(".*"))), false),
        (field("missing", .exists), false),
        (.compare(.tag("site"), .equal(.text("lyon"))), true),
        (.compare(.tag("site"), .matches(pattern("^ly"))), true),
        (.compare(.tag("rack"), .equal(.number(12))), true),
        (.compare(.tag("rack"), .greaterOrEqual(12)), true),
        (.compare(.tag("rack"), .less(12)), false),
        (.compare(.tag("site"), .exists), true),
        (.compare(.tag("host"), .exists), false),
        (.compare(.tag("host"), .notEqual(.text("a"))), true),
        (.compare(.tag("host"), .equal(.text("a"))), false),
        (.compare(.name, .equal(.text("env"))), true),
        (.compare(.name, .matches(pattern("^e.v$"))), true),
        (.compare(.name, .noneOf([.text("env")])), false),
    ]

    @Test func comparisons() {
        for (condition, expected) in Self.truthTable {
            #expect(Self.holds(condition) == expected, "\(condition)")
        }
    }

    @Test func combinators() {
        let yes = Self.field("temp", .exists)
        let no = Self.field("missing", .exists)
        let cases: [(FilterCondition, Bool)] = [
            (.all([yes]), true),
            (.all([yes, yes]), true),
            (.all([yes, no]), false),
            (.all([no, no]), false),
            (.any([no, yes]), true),
            (.any([no, no]), false),
            (.any([yes, yes]), true),
            (.not(yes), false),
            (.not(no), true),
            (.not(.not(yes)), true),
            (.all([yes, .any([no, .not(no)])]), true),
            (.any([.all([yes, no]), .not(.any([yes, no]))]), false),
            (.not(Self.field("missing", .less(1))), true),
        ]
        for (condition, expected) in cases {
            #expect(Self.holds(condition) == expected, "\(condition)")
        }
    }

    @Test func keepPassesMatchingEventsAndCountsEveryFieldOfTheOthers() {
        let processor = FilterProcessor(FilterConfig(action: .keep, condition: Self.field("temp", .greater(25))))
        let cold = Event(
            name: "env",
            timestamp: 2,
            fields: [Event.Field("temp", .number(20)), Event.Field("value", .number(1))]
        )
        var output: [Event] = []
        var drops = ProcessorDrops()
        processor.process(Self.event, now: 0, into: &output, drops: &drops)
        processor.process(cold, now: 0, into: &output, drops: &drops)
        #expect(output == [Self.event])
        #expect(
            drops.counts == [
                ProcessorDrops.Key(stream: "env.temp", reason: "filtered"): 1,
                ProcessorDrops.Key(stream: "env", reason: "filtered"): 1,
            ]
        )
    }

    @Test func dropRemovesMatchingEvents() {
        let processor = FilterProcessor(
            FilterConfig(action: .drop, condition: .compare(.tag("site"), .equal(.text("lyon"))))
        )
        let elsewhere = Event(name: "env", timestamp: 2, tags: ["site": "nice"], fields: [Event.Field("t", .number(1))])
        var output: [Event] = []
        var drops = ProcessorDrops()
        processor.process(Self.event, now: 0, into: &output, drops: &drops)
        processor.process(elsewhere, now: 0, into: &output, drops: &drops)
        #expect(output == [elsewhere])
        #expect(drops.total == 4)
    }
}
