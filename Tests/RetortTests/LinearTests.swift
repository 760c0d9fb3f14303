import XCTest
import Retort
import RetortTestSupport

/// The fully connected op against finite differences.
final class LinearTests: ContextTestCase {
    private var random = SplitMix64(seed: 17)

    func testLinear() throws {
        try checkGradients([(random.floats(5 * 4), [5, 4]), (random.floats(3 * 4), [3, 4]), (random.floats(3), [3])]) { t in
            try weightedSum(try t[0].linear(weight: t[1], bias: t[2]), seed: 3)
        }
    }
}
