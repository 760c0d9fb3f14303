import XCTest
import Retort
import RetortNN
import RetortTestSupport

/// The pooling layers: PyTorch's default stride, and the same values as the pooling ops they apply.
final class PoolTests: ContextTestCase {
    func testLayersApplyTheirOpsWithPyTorchsDefaults() throws {
        var random = SplitMix64(seed: 73)
        let x = try tensor(random.floats(2 * 3 * 6 * 6), [2, 3, 6, 6])
        let max = MaxPool2d(2), average = AvgPool2d(3, stride: 2, padding: 1)
        XCTAssertEqual([max.kernel, max.stride, max.padding], [2, 2, 0], "the stride defaults to the kernel")
        XCTAssertEqual([average.kernel, average.stride, average.padding], [3, 2, 1])
        XCTAssertTrue(max.entries.isEmpty && average.entries.isEmpty && AdaptiveAvgPool2d().entries.isEmpty, "no parameters")
        XCTAssertEqual(try max(x).toArray(), try x.maxPool2d(kernel: 2).toArray())
        XCTAssertEqual(try average(x).toArray(), try x.avgPool2d(kernel: 3, stride: 2, padding: 1).toArray())
        let adaptive = try AdaptiveAvgPool2d()(x)
        XCTAssertEqual(adaptive.shape, [2, 3, 1, 1])
        XCTAssertEqual(try adaptive.toArray(), try x.globalAvgPool2d().toArray())
    }
}
