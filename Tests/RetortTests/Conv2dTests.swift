import XCTest
import Retort
import RetortTestSupport

/// 2-D convolution (plain, strided, grouped, dilated) against finite differences.
final class Conv2dTests: ContextTestCase {
    private var random = SplitMix64(seed: 17)

    func testConvolution() throws {
        let x = random.floats(2 * 4 * 5 * 5)
        // Plain 3×3 with bias, strided and padded, and a depthwise 3×3 with dilation.
        try checkGradients([(x, [2, 4, 5, 5]), (random.floats(3 * 4 * 9), [3, 4, 3, 3]), (random.floats(3), [3])]) { t in
            try weightedSum(try t[0].conv2d(weight: t[1], bias: t[2], padding: 1), seed: 9)
        }
        try checkGradients([(x, [2, 4, 5, 5]), (random.floats(6 * 2 * 9), [6, 2, 3, 3])]) { t in
            try weightedSum(try t[0].conv2d(weight: t[1], stride: 2, padding: 1, groups: 2), seed: 10)
        }
        try checkGradients([(x, [2, 4, 5, 5]), (random.floats(4 * 9), [4, 1, 3, 3])]) { t in
            try weightedSum(try t[0].conv2d(weight: t[1], padding: 2, dilation: 2, groups: 4), seed: 11)
        }
        XCTAssertThrowsError(try tensor(x, [2, 4, 5, 5]).conv2d(weight: tensor(random.floats(3 * 3 * 9), [3, 3, 3, 3]))) {
            XCTAssert("\($0)".contains("conv2d"), "\($0)")
        }
    }
}
