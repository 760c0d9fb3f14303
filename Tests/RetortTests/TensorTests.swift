import XCTest
@testable import Retort
import RetortTestSupport

final class TensorTests: ContextTestCase {
    func testRoundTripFullAndItem() throws {
        XCTAssertEqual(try tensor([1, 2, 3, 4, 5, 6], [2, 3]).toArray(), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try Tensor.full(2.5, shape: [3], context: context).toArray(), [2.5, 2.5, 2.5])
        XCTAssertEqual(try tensor([7], [1, 1]).item(), 7)
        XCTAssertThrowsError(try tensor([1, 2], [3])) { error in
            XCTAssertEqual("\(error)", "A tensor of shape [3] needs 3 values, got 2.")
        }
        XCTAssertThrowsError(try tensor([1, 2], [2]).item())
    }

    func testArithmeticMatchesTheHost() throws {
        let x: [Float] = [1, -2, 3.5, 4], y: [Float] = [0.5, 2, -1, 8]
        let a = try tensor(x, [2, 2]), b = try tensor(y, [2, 2])
        XCTAssertEqual(try (a + b).toArray(), zip(x, y).map(+))
        XCTAssertEqual(try (a - b).toArray(), zip(x, y).map(-))
        XCTAssertEqual(try (a * b).toArray(), zip(x, y).map(*))
        XCTAssertEqual(try (a / b).toArray(), zip(x, y).map(/))
        XCTAssertEqual(try (a * 3).toArray(), x.map { $0 * 3 })
        let product: [Float] = [2.5, -14, -2.25, 39]  // [[1, -2], [3.5, 4]] · [[0.5, 2], [-1, 8]]
        XCTAssertEqual(try a.matmul(b).toArray(), product)
    }

    func testShapeMismatchNamesTheOpAndBothShapes() throws {
        let a = try tensor([1, 2, 3], [3]), b = try tensor([1, 2], [2])
        XCTAssertThrowsError(try a + b) { XCTAssertEqual("\($0)", "add: shapes [3] and [2] do not match.") }
        XCTAssertThrowsError(try tensor([1, 2, 3, 4, 5, 6], [2, 3]).matmul(tensor([1, 2, 3, 4], [2, 2]))) {
            XCTAssertEqual("\($0)", "matmul: shapes [2, 3] and [2, 2] do not match.")
        }
    }
}
