import XCTest
import Retort
import RetortTestSupport

/// ReLU (composed with division, reshapes and a mean) against finite differences.
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
}
