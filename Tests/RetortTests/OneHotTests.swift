import XCTest
import Retort
import RetortTestSupport

/// One-hot rows (and a detached factor built beside them).
final class OneHotTests: ContextTestCase {
    func testOneHotAndDetached() throws {
        XCTAssertEqual(try Tensor.oneHot([1, 0], classes: 3, on: 2, off: -1, context: context).toArray(), [-1, 2, -1, 2, -1, -1])
        XCTAssertThrowsError(try Tensor.oneHot([3], classes: 3, context: context)) { XCTAssert("\($0)".contains("labels in 0..<3"), "\($0)") }
        let x = try tensor([1, 2], [2], requiresGrad: true)
        let y = try (x * x.detached()).sum()
        try y.backward()
        XCTAssertEqual(try x.grad?.toArray(), [1, 2], "the detached factor gets no gradient")
    }
}
