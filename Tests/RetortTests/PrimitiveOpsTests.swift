import XCTest
import Retort
import RetortTestSupport

/// The row-wise and element-wise ops losses are composed from: values against the host, gradients
/// against finite differences.
final class PrimitiveOpsTests: ContextTestCase {
    private var random = SplitMix64(seed: 29)

    func testUnaryValuesMatchTheHost() throws {
        let x: [Float] = [0.25, 1, 2.5, 4]
        let t = try tensor(x, [4])
        for (result, expected) in [(try t.exp(), x.map { Foundation.exp($0) }), (try t.log(), x.map { Foundation.log($0) }),
                                   (try t.squareRoot(), x.map { $0.squareRoot() }), (try t.reciprocal(), x.map { 1 / $0 }),
                                   (try t.squared(), x.map { $0 * $0 })] {
            XCTAssertLessThan(maxRelativeError(try result.toArray(), expected.map(Double.init)), 1e-6)
        }
    }

    func testUnaryGradients() throws {
        let x = random.floats(6, in: 0.5...2)
        try checkGradients([(x, [2, 3])], step: 1e-3) { t in
            try weightedSum(try t[0].exp() + t[0].log() + t[0].squareRoot() + t[0].reciprocal() + t[0].squared(), seed: 4)
        }
    }

    func testSoftmaxAndLogSoftmaxWithTemperature() throws {
        let x = random.floats(3 * 5, in: -3...3)
        let probabilities = try tensor(x, [3, 5]).softmax(temperature: 2).toArray()
        let logs = try tensor(x, [3, 5]).logSoftmax(temperature: 2).toArray()
        for row in 0..<3 {
            let z = x[row * 5..<(row + 1) * 5].map { Double($0) / 2 }
            let norm = z.map { Foundation.exp($0) }.reduce(0, +)
            for c in 0..<5 {
                XCTAssertEqual(Double(probabilities[row * 5 + c]), Foundation.exp(z[c]) / norm, accuracy: 1e-6)
                XCTAssertEqual(Double(logs[row * 5 + c]), z[c] - Foundation.log(norm), accuracy: 1e-5)
            }
        }
        try checkGradients([(x, [3, 5])]) { t in try weightedSum(try t[0].softmax(temperature: 2), seed: 5) }
        try checkGradients([(x, [3, 5])]) { t in try weightedSum(try t[0].logSoftmax(temperature: 0.5), seed: 6) }
    }

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

    func testOneHotAndDetached() throws {
        XCTAssertEqual(try Tensor.oneHot([1, 0], classes: 3, on: 2, off: -1, context: context).toArray(), [-1, 2, -1, 2, -1, -1])
        XCTAssertThrowsError(try Tensor.oneHot([3], classes: 3, context: context)) { XCTAssert("\($0)".contains("labels in 0..<3"), "\($0)") }
        let x = try tensor([1, 2], [2], requiresGrad: true)
        let y = try (x * x.detached()).sum()
        try y.backward()
        XCTAssertEqual(try x.grad?.toArray(), [1, 2], "the detached factor gets no gradient")
    }
}

/// Per-row and per-column broadcasting named explicitly, on a square matrix where `[B]` and `[C]` look alike.
final class ExplicitBroadcastTests: ContextTestCase {
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
}

/// A `[B]` operand over a square `[B, B]` matrix could mean rows or columns: the implicit rule
/// refuses it and names the explicit form.
final class AmbiguousBroadcastTests: ContextTestCase {
    func testSquareMatrixWithAVectorNeedsAnAxis() throws {
        let x = try tensor([1, 2, 3, 4], [2, 2]), v = try tensor([1, 2], [2])
        XCTAssertThrowsError(try x * v) { XCTAssert("\($0)".contains("multiplying(_:per: .rows or .columns)"), "\($0)") }
        XCTAssertThrowsError(try x - v) { XCTAssert("\($0)".contains("subtracting(_:per:"), "\($0)") }
        XCTAssertEqual(try (try tensor([1, 2, 3, 4, 5, 6], [2, 3]) * tensor([1, 2], [2])).toArray(), [1, 2, 3, 8, 10, 12],
                       "not square: [B] is per row")
    }
}
