import XCTest
import Retort
import RetortTestSupport

/// ShuffleNet's channel shuffle: values against a host permutation, gradients against finite differences.
final class ChannelShuffleTests: ContextTestCase {
    private var random = SplitMix64(seed: 53)

    func testValuesMatchTheHost() throws {
        let (n, c, spatial) = (2, 6, 3)
        let x = random.floats(n * c * spatial)
        for groups in [1, 2, 3, 6] {
            // Output channel j·g + i is input channel i·(C/g) + j.
            var expected = [Float](repeating: 0, count: x.count)
            for b in 0..<n {
                for i in 0..<groups {
                    for j in 0..<(c / groups) {
                        for s in 0..<spatial {
                            expected[(b * c + j * groups + i) * spatial + s] = x[(b * c + i * (c / groups) + j) * spatial + s]
                        }
                    }
                }
            }
            XCTAssertEqual(try tensor(x, [n, c, 1, spatial]).channelShuffled(groups: groups).toArray(), expected, "groups \(groups)")
        }
        XCTAssertThrowsError(try tensor(x, [n, c, 1, spatial]).channelShuffled(groups: 4)) {
            XCTAssert("\($0)".contains("channelShuffle (groups 4)"), "\($0)")
        }
    }

    func testGradientsMatchFiniteDifferences() throws {
        for groups in [2, 3] {
            try checkGradients([(random.floats(2 * 6 * 2 * 2), [2, 6, 2, 2])]) { t in
                try weightedSum(try t[0].channelShuffled(groups: groups), seed: 54)
            }
        }
    }
}
