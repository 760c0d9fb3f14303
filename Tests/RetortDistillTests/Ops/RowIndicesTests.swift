import XCTest
import Retort
import RetortDistill
import RetortTestSupport

/// Row-index matrices: their bound, and the counts and ranges they refuse.
final class RowIndicesTests: ContextTestCase {
    func testUpperBoundAndErrors() throws {
        let indices = try RowIndices([3, 0, 7, 2, 2, 1], rows: 2, columns: 3, context: context)
        XCTAssertEqual(indices.upperBound, 8)
        XCTAssertEqual([indices.rows, indices.columns], [2, 3])
        XCTAssertThrowsError(try RowIndices([1, 2, 3], rows: 2, columns: 2, context: context)) {
            XCTAssertEqual("\($0)", "A tensor of shape [2, 2] needs 4 values, got 3.")
        }
        XCTAssertThrowsError(try RowIndices([-1], rows: 1, columns: 1, context: context)) { XCTAssert("\($0)".contains("got -1"), "\($0)") }
    }
}
