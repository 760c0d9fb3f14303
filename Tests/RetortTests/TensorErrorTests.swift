import XCTest
import Retort
import RetortTestSupport

/// Errors name the op and the shapes involved.
final class TensorErrorTests: ContextTestCase {
    func testShapeErrorsNameTheOp() throws {
        XCTAssertThrowsError(try tensor([1, 2, 3, 4], [2, 2]) + tensor([1, 2, 3], [3])) {
            XCTAssertEqual("\($0)", "add: shapes [2, 2] and [3] do not match.")
        }
        XCTAssertThrowsError(try tensor([1, 2], [1, 2]).linear(weight: tensor([1, 2, 3], [1, 3]), bias: nil)) {
            XCTAssertEqual("\($0)", "linear: shapes [1, 2] and [1, 3] do not match.")
        }
        XCTAssertThrowsError(try tensor([1, 2], [2]).maxPool2d(kernel: 2))
        XCTAssertThrowsError(try tensor([1, 2, 3, 4], [4]).reshaped([3]))
    }
}
