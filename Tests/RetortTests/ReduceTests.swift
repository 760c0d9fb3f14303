import XCTest
import Retort
import RetortTestSupport

/// Whole-tensor sums and means: values against the host in Double, gradients against finite differences.
final class ReduceTests: ContextTestCase {
    private var random = SplitMix64(seed: 43)

    func testValuesMatchTheHost() throws {
        let x = random.floats(2 * 3 * 5)
        let total = x.reduce(0.0) { $0 + Double($1) }
        let t = try tensor(x, [2, 3, 5])
        XCTAssertEqual(try t.sum().shape, [1])
        XCTAssertEqual(Double(try t.sum().item()), total, accuracy: 1e-5)
        XCTAssertEqual(Double(try t.mean().item()), total / Double(x.count), accuracy: 1e-6)
    }

    func testGradientsMatchFiniteDifferences() throws {
        try checkGradients([(random.floats(2 * 3 * 5), [2, 3, 5])]) { t in try t[0].sum() * 0.5 + t[0].mean() }
    }
}
