import XCTest
import Retort
import RetortTestSupport

/// Max, average and global average pooling against finite differences.
final class PoolTests: ContextTestCase {
    private var random = SplitMix64(seed: 17)

    func testPooling() throws {
        // Distinct values keep max pooling away from ties.
        let x: [Float] = (0..<144).map { (index: Int) -> Float in Float((index * 37) % 144) / 50 }
        try checkGradients([(x, [2, 2, 6, 6])]) { t in try weightedSum(try t[0].maxPool2d(kernel: 2), seed: 5) }
        try checkGradients([(x, [2, 2, 6, 6])]) { t in try weightedSum(try t[0].maxPool2d(kernel: 3, stride: 2, padding: 1), seed: 6) }
        try checkGradients([(x, [2, 2, 6, 6])]) { t in try weightedSum(try t[0].avgPool2d(kernel: 3, stride: 2, padding: 1), seed: 7) }
        try checkGradients([(x, [2, 2, 6, 6])]) { t in try weightedSum(try t[0].globalAvgPool2d(), seed: 8) }
    }
}
