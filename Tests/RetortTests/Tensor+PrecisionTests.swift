import XCTest
import Retort
import RetortCompute
import RetortTestSupport

/// The cast between fp32 and fp16/bf16 on the device, against the host's round-to-nearest-even, and
/// its gradient.
final class TensorPrecisionTests: ContextTestCase {
    /// Values that exercise the rounding: ties, the ends of fp16's range, subnormals, overflow, NaN.
    private let values: [Float] = [0, -0.0, 1, -1, 1.0 / 3, 65504, 65520, 70000, -1e9, 6e-8, 3e-8, 1e-5, 1.00048828125,
                                   1.0009765625 + 0x1p-11, 3.14159, 255.5, 0x1p-126, .infinity, -.infinity, .nan, 1.00390625,
                                   1.01171875, 12345.678]

    func testNarrowingRoundsToNearestEvenAsTheHostDoes() throws {
        for precision in [Precision.float16, .bfloat16] {
            let x = try tensor(values, [values.count])
            let y = try x.cast(to: precision)
            XCTAssertEqual(y.precision, precision)
            let device = try y.toArray()
            for (index, value) in values.enumerated() {
                let expected = precision.rounded(value)
                if expected.isNaN {
                    XCTAssertTrue(device[index].isNaN, "\(precision) of \(value)")
                } else {
                    XCTAssertEqual(device[index].bitPattern, expected.bitPattern, "\(precision) of \(value): \(device[index]) ≠ \(expected)")
                }
            }
            // Widening is exact.
            let back = try y.cast(to: .float32).toArray()
            XCTAssertEqual(back.map(\.bitPattern).filter { !Float(bitPattern: $0).isNaN }, device.map(\.bitPattern).filter { !Float(bitPattern: $0).isNaN })
        }
    }

    func testAssignAndToArrayConvertOnTheHost() throws {
        let x = try tensor([0.1, 0.2, 0.3], [3]).cast(to: .bfloat16)
        try x.assign([1.5, -2.25, 1e-3])
        XCTAssertEqual(try x.toArray(), [1.5, -2.25, Precision.bfloat16.rounded(1e-3)])
    }

    func testGradientFlowsBackInTheSourcePrecision() throws {
        let x = try tensor([1, 2, 3, 4], [4], requiresGrad: true)
        let loss = try (x.cast(to: .float16).float32() * tensor([0.5, 0.25, 0.125, 3], [4])).sum()
        try loss.backward()
        let grad = try XCTUnwrap(x.grad)
        XCTAssertEqual(grad.precision, .float32)
        XCTAssertEqual(try grad.toArray(), [0.5, 0.25, 0.125, 3])
    }
}
