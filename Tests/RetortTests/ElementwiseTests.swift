import XCTest
import Retort
import RetortTestSupport

/// Element-wise arithmetic: broadcasting (implicit and by a named axis) against finite differences and
/// the host.
final class ElementwiseTests: ContextTestCase {
    private var random = SplitMix64(seed: 17)

    func testBroadcastArithmetic() throws {
        let x = random.floats(2 * 3 * 2 * 2)
        for other in [[3], [1, 3, 1, 1], [2], [1]] {
            let y = random.floats(other.reduce(1, *), in: 0.5...1.5)
            try checkGradients([(x, [2, 3, 2, 2]), (y, other)]) { t in
                try weightedSum(try (t[0] * t[1] + t[0] - t[1]) * 0.5, seed: 1)
            }
        }
    }

    /// Per-row and per-column broadcasting named explicitly, on a square matrix where `[B]` and `[C]` look alike.
    func testRowsAndColumnsOfASquareMatrix() throws {
        let x = try tensor([1, 2, 3, 4], [2, 2])
        let v = try tensor([10, 20], [2])
        XCTAssertEqual(try x.multiplying(v, per: .rows).toArray(), [10, 20, 60, 80])
        XCTAssertEqual(try x.multiplying(v, per: .columns).toArray(), [10, 40, 30, 80])
        XCTAssertEqual(try x.adding(v, per: .rows).toArray(), [11, 12, 23, 24])
        XCTAssertEqual(try x.subtracting(v, per: .columns).toArray(), [-9, -18, -7, -16])
        XCTAssertThrowsError(try x.multiplying(try tensor([1, 2, 3], [3]), per: .rows))
        var random = SplitMix64(seed: 3)
        let values = random.floats(9), vector = random.floats(3)
        for axis in [Tensor.Axis.rows, .columns] {
            try checkGradients([(values, [3, 3]), (vector, [3])]) { t in
                var weights = SplitMix64(seed: 8)
                let w = try Tensor(weights.floats(9), shape: [3, 3], context: t[0].context)
                return try ((t[0].multiplying(t[1], per: axis) + t[0].adding(t[1], per: axis) + t[0].subtracting(t[1], per: axis)) * w).sum()
            }
        }
    }

    /// A `[B]` operand over a square `[B, B]` matrix could mean rows or columns: the implicit rule
    /// refuses it and names the explicit form.
    func testSquareMatrixWithAVectorNeedsAnAxis() throws {
        let x = try tensor([1, 2, 3, 4], [2, 2]), v = try tensor([1, 2], [2])
        XCTAssertThrowsError(try x * v) { XCTAssert("\($0)".contains("multiplying(_:per: .rows or .columns)"), "\($0)") }
        XCTAssertThrowsError(try x - v) { XCTAssert("\($0)".contains("subtracting(_:per:"), "\($0)") }
        XCTAssertEqual(try (try tensor([1, 2, 3, 4, 5, 6], [2, 3]) * tensor([1, 2], [2])).toArray(), [1, 2, 3, 8, 10, 12],
                       "not square: [B] is per row")
    }
}
