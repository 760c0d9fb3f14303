import XCTest
import Retort
import RetortTestSupport

/// ReLU (composed with division, reshapes and a mean) and the ReLU of a sum against finite differences.
final class ReLUTests: ContextTestCase {
    private var random = SplitMix64(seed: 17)

    func testDivisionReluReshapeAndMean() throws {
        // Keep ReLU inputs away from the kink at 0.
        let x = random.floats(12).map { $0 < 0 ? $0 - 0.2 : $0 + 0.2 }
        try checkGradients([(x, [3, 4]), (random.floats(12, in: 0.5...2), [3, 4])]) { t in
            try weightedSum(try (t[0] / t[1]).relu().reshaped([2, -1]).flattened(from: 0), seed: 2)
        }
        try checkGradients([(x, [3, 4])]) { t in try t[0].relu().mean() }
    }

    func testReLUOfSum() throws {
        // Sums away from the kink at 0.
        let a = random.floats(24)
        let b = random.floats(24).enumerated().map { index, value in
            let sum = a[index] + value
            return abs(sum) < 0.2 ? value + (sum < 0 ? -0.3 : 0.3) : value
        }
        try checkGradients([(a, [2, 3, 4]), (b, [2, 3, 4])]) { t in try weightedSum(try t[0].reluOfSum(with: t[1]), seed: 3) }
        // The same tensor twice: its gradient is twice the masked gradient.
        try checkGradients([(a, [2, 3, 4])]) { t in try weightedSum(try t[0].reluOfSum(with: t[0]), seed: 3) }
    }

    /// The fused op gives the bits of the sum then ReLU, forward and backward, including sums of
    /// exactly 0 (no gradient, as PyTorch's ReLU backward).
    func testReLUOfSumEqualsSumThenReLU() throws {
        let a = random.floats(35)
        var b = random.floats(35)
        for index in stride(from: 0, to: 35, by: 5) { b[index] = -a[index] }
        var results: [[[Float]]] = []
        for fused in [true, false] {
            let x = try tensor(a, [5, 7], requiresGrad: true), y = try tensor(b, [5, 7], requiresGrad: true)
            let z = fused ? try x.reluOfSum(with: y) : try (x + y).relu()
            try weightedSum(z, seed: 6).backward()
            results.append([try z.toArray(), try XCTUnwrap(x.grad).toArray(), try XCTUnwrap(y.grad).toArray()])
        }
        for (index, name) in ["y", "da", "db"].enumerated() {
            XCTAssertEqual(results[0][index].map(\.bitPattern), results[1][index].map(\.bitPattern), name)
        }
        XCTAssertEqual(stride(from: 0, to: 35, by: 5).map { results[0][1][$0] }, [Float](repeating: 0, count: 7))
    }

    /// ReLU6 forward against the host, and its gradient against central differences at points away
    /// from the kinks at 0 and 6 (below, between and above).
    func testReLU6() throws {
        let x = random.floats(24, in: 0.2...1.8).enumerated().map { index, value -> Float in
            [value - 2, value * 2, value + 6.8][index % 3]
        }
        let y = try tensor(x, [2, 3, 4]).relu6().toArray()
        XCTAssertEqual(y, x.map { min(max($0, 0), 6) })
        try checkGradients([(x, [2, 3, 4])]) { t in try weightedSum(try t[0].relu6(), seed: 4) }
        // Composed: the gradient flows through to the op before it.
        try checkGradients([(x, [2, 12]), (random.floats(24, in: 0.9...1.1), [2, 12])]) { t in
            try weightedSum(try (t[0] * t[1]).relu6(), seed: 5)
        }
    }

    func testReLUOfSumRejectsDifferentShapes() throws {
        let a = try tensor(random.floats(6), [2, 3]), b = try tensor(random.floats(6), [3, 2])
        XCTAssertThrowsError(try a.reluOfSum(with: b)) { error in
            guard case TensorError.shapeMismatch(let op, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(op, "reluOfSum")
        }
    }
}
