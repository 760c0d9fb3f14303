import XCTest
import Retort
import RetortTestSupport

/// Unary ops: values against the host, gradients against finite differences.
final class UnaryTests: ContextTestCase {
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
}
