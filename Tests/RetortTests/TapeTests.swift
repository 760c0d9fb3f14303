import XCTest
import Retort
import RetortTestSupport

/// The autograd tape: gradients through recorded ops, accumulation across backward passes, `noGrad`.
final class TapeTests: ContextTestCase {
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
