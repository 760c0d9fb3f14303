import XCTest
import Retort
import RetortTestSupport

/// Reshapes and flattening: the values keep their row-major order, gradients against finite differences.
final class ReshapeTests: ContextTestCase {
    private var random = SplitMix64(seed: 47)

    func testShapesAndValues() throws {
        let x = random.floats(2 * 3 * 4)
        let t = try tensor(x, [2, 3, 4])
        XCTAssertEqual(try t.reshaped([4, -1]).shape, [4, 6])
        XCTAssertEqual(try t.reshaped([4, -1]).toArray(), x)
        XCTAssertEqual(try t.flattened().shape, [2, 12])
        XCTAssertEqual(try t.flattened(from: 0).shape, [24])
        XCTAssertThrowsError(try t.reshaped([5, -1])) { XCTAssertEqual("\($0)", "reshape: shapes [2, 3, 4] and [5, -1] do not match.") }
        XCTAssertThrowsError(try t.reshaped([2, 3])) { XCTAssertEqual("\($0)", "reshape: shapes [2, 3, 4] and [2, 3] do not match.") }
        XCTAssertThrowsError(try t.flattened(from: 3)) { XCTAssert("\($0)".contains("at least 4 dimensions"), "\($0)") }
    }

    func testGradientsMatchFiniteDifferences() throws {
        try checkGradients([(random.floats(2 * 3 * 4), [2, 3, 4])]) { t in
            try weightedSum(try t[0].reshaped([3, -1]) * 2, seed: 48) + weightedSum(try t[0].flattened(), seed: 49)
        }
    }
}
