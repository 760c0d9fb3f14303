import XCTest
import Retort
import RetortTestSupport

/// Sums and means along an axis (with a transpose): values against the host, gradients against finite differences.
final class AxisReduceTests: ContextTestCase {
    private var random = SplitMix64(seed: 29)

    func testAxisSumsMeansAndTranspose() throws {
        let x: [Float] = [1, 2, 3, 4, 5, 6]
        let t = try tensor(x, [2, 3])
        XCTAssertEqual(try t.sum(alongAxis: 1).toArray(), [6, 15])
        XCTAssertEqual(try t.mean(alongAxis: 0).toArray(), [2.5, 3.5, 4.5])
        XCTAssertEqual(try t.transposed().toArray(), [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(try t.transposed().shape, [3, 2])
        let values = random.floats(4 * 3)
        try checkGradients([(values, [4, 3])]) { t in
            try weightedSum(try t[0].sum(alongAxis: 1), seed: 7) + weightedSum(try t[0].mean(alongAxis: 0), seed: 8)
                + weightedSum(try t[0].transposed(), seed: 9)
        }
        XCTAssertThrowsError(try tensor(x, [6]).sum(alongAxis: 0)) { XCTAssert("\($0)".contains("[B, C]"), "\($0)") }
    }
}
