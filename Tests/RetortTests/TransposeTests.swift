import XCTest
import Retort
import RetortTestSupport

/// The matrix transpose: values against the host, gradients against finite differences.
final class TransposeTests: ContextTestCase {
    private var random = SplitMix64(seed: 41)

    func testValuesMatchTheHost() throws {
        let (rows, columns) = (3, 5)
        let x = random.floats(rows * columns)
        let y = try tensor(x, [rows, columns]).transposed()
        XCTAssertEqual(y.shape, [columns, rows])
        XCTAssertEqual(try y.toArray(), (0..<(rows * columns)).map { x[($0 % rows) * columns + $0 / rows] })
        XCTAssertThrowsError(try tensor(x, [rows * columns]).transposed()) { XCTAssert("\($0)".contains("[B, C]"), "\($0)") }
    }

    func testGradientsMatchFiniteDifferences() throws {
        try checkGradients([(random.floats(3 * 4), [3, 4])]) { t in try weightedSum(try t[0].transposed(), seed: 42) }
    }
}
