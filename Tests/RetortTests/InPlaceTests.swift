import XCTest
import Retort
import RetortTestSupport

/// In-place products outside the tape: values against the host, shape errors, nothing recorded.
final class InPlaceTests: ContextTestCase {
    private var random = SplitMix64(seed: 59)

    func testMultiplyInPlaceMatchesTheHost() throws {
        let x = random.floats(3 * 4), mask = (0..<12).map { Float($0 % 3 == 0 ? 0 : 1) }
        let t = try tensor(x, [3, 4], requiresGrad: true)
        try t.multiplyInPlace(by: tensor(mask, [3, 4]))
        XCTAssertEqual(try t.toArray(), zip(x, mask).map(*))
        XCTAssertTrue(t.isLeaf, "still the same leaf")
        XCTAssertThrowsError(try t.multiplyInPlace(by: tensor(mask, [12]))) {
            XCTAssertEqual("\($0)", "mul_: shapes [3, 4] and [12] do not match.")
        }
    }
}
