import XCTest
import Retort
import RetortTestSupport

/// The matrix product: values against a host product in Double, gradients against finite differences.
final class MatMulTests: ContextTestCase {
    private var random = SplitMix64(seed: 31)

    func testProductMatchesTheHost() throws {
        let (m, k, n) = (3, 5, 4)
        let a = random.floats(m * k), b = random.floats(k * n)
        let expected = (0..<(m * n)).map { at in
            (0..<k).reduce(0.0) { $0 + Double(a[at / n * k + $1]) * Double(b[$1 * n + at % n]) }
        }
        let product = try tensor(a, [m, k]).matmul(tensor(b, [k, n]))
        XCTAssertEqual(product.shape, [m, n])
        XCTAssertLessThan(maxRelativeError(try product.toArray(), expected), 1e-5)
        XCTAssertThrowsError(try tensor(a, [m, k]).matmul(tensor(b, [n, k]))) {
            XCTAssertEqual("\($0)", "matmul: shapes [3, 5] and [4, 5] do not match.")
        }
    }

    func testGradientsMatchFiniteDifferences() throws {
        try checkGradients([(random.floats(3 * 5), [3, 5]), (random.floats(5 * 4), [5, 4])]) { t in
            try weightedSum(try t[0].matmul(t[1]), seed: 32)
        }
    }
}
