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

final class AutogradTests: ContextTestCase {
    func testGradientsOfArithmeticAndMatmulMatchFiniteDifferences() throws {
        var random = SplitMix64(seed: 4)
        let x = random.floats(6), y = random.floats(6, in: 0.5...2), w = random.floats(3 * 2), u = random.floats(2)
        // loss = u [1, 2] · (h [2, 3] · w [3, 2]) · 0.5·1 [2, 1], with h = (x·y + x − y) / y
        try checkGradients([(x, [2, 3]), (y, [2, 3]), (w, [3, 2]), (u, [1, 2])]) { t in
            let h = try (t[0] * t[1] + t[0] - t[1]) / t[1]
            let hw = try h.matmul(t[2])                               // [2, 2]
            return try t[3].matmul(hw).matmul(Tensor.full(1, shape: [2, 1], context: t[0].context) * 0.5)  // [1, 1]
        }
    }

    func testGradientsAccumulateAcrossBackwardCallsAndReset() throws {
        let w = try tensor([2, 3], [2, 1], requiresGrad: true)
        let x = try tensor([1, 4], [1, 2])
        for _ in 0..<2 { try x.matmul(w).backward() }
        XCTAssertEqual(try w.grad?.toArray(), [2, 8], "two backward passes add up")
        try w.zeroGrad()
        XCTAssertEqual(try w.grad?.toArray(), [0, 0], "zeroGrad keeps the buffer and zeroes it")
        try x.matmul(w).backward()
        XCTAssertEqual(try w.grad?.toArray(), [1, 4])
        XCTAssertNil(x.grad, "inputs that do not require a gradient get none")
    }

    func testNoGradRecordsNothing() throws {
        let w = try tensor([2, 3], [2, 1], requiresGrad: true)
        let y = try context.noGrad { try tensor([1, 4], [1, 2]).matmul(w) }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertThrowsError(try y.backward())
        XCTAssertThrowsError(try tensor([1, 2], [2]).backward(), "not a scalar")
    }
}
