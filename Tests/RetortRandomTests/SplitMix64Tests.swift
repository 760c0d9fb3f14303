import XCTest
import RetortRandom

final class SplitMix64Tests: XCTestCase {
    func testSameSeedSameStreamAndKnownFirstValue() {
        var a = SplitMix64(seed: 42), b = SplitMix64(seed: 42), c = SplitMix64(seed: 43)
        let first = a.next()
        XCTAssertEqual(first, b.next())
        XCTAssertNotEqual(first, c.next())
        // Reference value of SplitMix64 for seed 0 (Vigna's splitmix64.c).
        var zero = SplitMix64(seed: 0)
        XCTAssertEqual(zero.next(), 0xE220_A839_7B1D_CDAF)
    }

    func testFloatsStayInRange() {
        var random = SplitMix64(seed: 1)
        let values = random.floats(10_000, in: -2...3)
        XCTAssert(values.allSatisfy { (-2...3).contains($0) })
        XCTAssertGreaterThan(Set(values).count, 9_000)
    }
}
