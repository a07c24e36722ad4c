import Testing

@testable import LeptonCore

/// Path arithmetic with NSString's results, without Foundation.
@Suite struct PathTextTests {
    @Test(arguments: [
        ("/a/b", "b", "/a"), ("/a/b/", "b", "/a"), ("/a", "a", "/"), ("/", "/", "/"), ("a", "a", ""),
        ("a/b", "b", "a"), ("//a//b", "b", "//a"),
    ])
    func lastComponentAndTheRest(path: String, last: String, rest: String) {
        #expect(PathText.lastComponent(path) == last)
        #expect(PathText.deletingLastComponent(path) == rest)
    }

    @Test func appending() {
        #expect(PathText.appending("b", to: "/a") == "/a/b")
        #expect(PathText.appending("b", to: "/a/") == "/a/b")
        #expect(PathText.appending("b", to: "") == "b")
        #expect(PathText.appending("b", to: "/") == "/b")
    }

    @Test func trimmingWhitespace() {
        #expect(" \t a b \n".trimmingWhitespace == "a b")
        #expect("   ".trimmingWhitespace == "")
    }
}
