import XCTest
import Retort
import RetortTestSupport

/// The context: recording switched off (and back on) by `noGrad`, and the FLOP count of products.
final class ContextTests: ContextTestCase {
    func testNoGradNestsAndRestoresRecording() throws {
        XCTAssertTrue(context.isRecordingGradients)
        let w = try tensor([1, 2], [2], requiresGrad: true)
        try context.noGrad {
            context.noGrad { XCTAssertFalse(context.isRecordingGradients) }
            XCTAssertFalse(context.isRecordingGradients, "the inner block leaves the outer one off")
            XCTAssertFalse(try (w * w).requiresGrad)
        }
        XCTAssertTrue(context.isRecordingGradients)
        XCTAssertTrue(try (w * w).requiresGrad)
    }

    func testFLOPCountCountsProductsAndResets() throws {
        context.resetFLOPCount()
        _ = try tensor([Float](repeating: 1, count: 6), [2, 3]).matmul(tensor([Float](repeating: 1, count: 12), [3, 4]))
        XCTAssertEqual(context.flopCount, 2 * 2 * 3 * 4)
        context.resetFLOPCount()
        XCTAssertEqual(context.flopCount, 0)
    }
}
