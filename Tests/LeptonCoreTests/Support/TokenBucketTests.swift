import Testing

@testable import LeptonCore

@Suite struct TokenBucketTests {
    /// 1000 B/s with a 500-byte burst: every wait below is a round number of milliseconds.
    static func bucket() -> TokenBucket {
        TokenBucket(perSecond: 1000, burst: 500)
    }

    @Test func aBurstPassesAtOnce() {
        var bucket = Self.bucket()
        #expect(bucket.take(200, now: .zero) == nil)
        #expect(bucket.take(300, now: .zero) == nil)
        #expect(bucket.tokens == 0)
    }

    @Test func theNextRequestWaitsExactlyUntilItsBytesHaveRefilled() {
        var bucket = Self.bucket()
        #expect(bucket.take(500, now: .seconds(1)) == nil)
        #expect(bucket.take(100, now: .seconds(1)) == .milliseconds(100))
        #expect(bucket.tokens == 0, "a refused request takes nothing")
        // Half-way there: the wait shrinks accordingly.
        #expect(bucket.take(100, now: .seconds(1) + .milliseconds(50)) == .milliseconds(50))
        #expect(bucket.take(100, now: .seconds(1) + .milliseconds(100)) == nil)
        #expect(bucket.take(1, now: .seconds(1) + .milliseconds(100)) == .milliseconds(1))
    }

    @Test func refillIsCappedAtTheBurst() {
        var bucket = Self.bucket()
        #expect(bucket.take(500, now: .zero) == nil)
        // 100 s would earn 100 000 bytes; the bucket holds 500.
        #expect(bucket.take(500, now: .seconds(100)) == nil)
        #expect(bucket.take(1, now: .seconds(100)) == .milliseconds(1))
    }

    @Test func anOversizedRequestPassesWhenFullAndItsDebtDelaysTheNext() {
        var bucket = Self.bucket()
        #expect(bucket.take(100, now: .zero) == nil)
        // Not full: the oversized request waits for a full bucket (100 bytes missing), not for 1500 bytes.
        #expect(bucket.take(1500, now: .zero) == .milliseconds(100))
        #expect(bucket.take(1500, now: .milliseconds(100)) == nil)
        #expect(bucket.tokens == -1000)
        // 1000 bytes of debt plus the 100 wanted.
        #expect(bucket.take(100, now: .milliseconds(100)) == .milliseconds(1100))
        #expect(bucket.take(100, now: .milliseconds(1200)) == nil)
    }

    @Test func timeGoingBackwardsAddsNoTokens() {
        var bucket = Self.bucket()
        #expect(bucket.take(500, now: .seconds(10)) == nil)
        #expect(bucket.take(100, now: .seconds(5)) == .milliseconds(100))
        // Back at the later time nothing was earned either: the interval 5 s...10 s is not credited.
        #expect(bucket.take(100, now: .seconds(10)) == .milliseconds(100))
        #expect(bucket.take(100, now: .seconds(10) + .milliseconds(100)) == nil)
    }

    @Test func changingTheRateKeepsTheTokens() {
        var bucket = Self.bucket()
        #expect(bucket.take(400, now: .zero) == nil)
        bucket.setRate(100)
        #expect(bucket.tokens == 100)
        #expect(bucket.take(200, now: .zero) == .seconds(1))
        #expect(bucket.take(200, now: .seconds(1)) == nil)
    }

    @Test func anEmptyRequestNeverWaits() {
        var bucket = Self.bucket()
        #expect(bucket.take(2000, now: .zero) == nil)
        #expect(bucket.take(0, now: .zero) == nil)
    }
}
