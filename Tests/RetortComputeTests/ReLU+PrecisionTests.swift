import XCTest
import RetortCompute
import RetortTestSupport

/// `relu.comp`'s fp16 and bf16 variants against its fp32 kernel on the same (rounded) values: every mode,
/// scalar and four-wide counts, NaN and infinities where fp32 has them.
final class ReLUPrecisionTests: DeviceTestCase {
    private let special: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, 6, 70000]

    func testEveryModeMatchesFloat32() throws {
        let relu = try ReLULauncher(device: device)
        var random = TestRandom(seed: 41)
        for precision in [Precision.float16, .bfloat16] {
            for count in [7, 1000] {
                let a = special + random.floats(count - special.count, in: -8...8), b = random.floats(count, in: -8...8)
                let label = "\(count) values"
                try assertMatchesFloat32(precision, inputs: [a], outputs: [count], "ReLU \(label)") { stream, x, y, p in
                    try relu.encodeReLU(into: stream, input: x[0], output: y[0], count: count, precision: p)
                    return []
                }
                try assertMatchesFloat32(precision, inputs: [a], outputs: [count], "ReLU6 \(label)") { stream, x, y, p in
                    try relu.encodeReLU6(into: stream, input: x[0], output: y[0], count: count, precision: p)
                    return []
                }
                try assertMatchesFloat32(precision, inputs: [a, b], outputs: [count], "ReLU of a sum \(label)") { stream, x, y, p in
                    try relu.encodeReLUOfSum(into: stream, a: x[0], b: x[1], output: y[0], count: count, precision: p)
                    return []
                }
                try assertMatchesFloat32(precision, inputs: [a, b], outputs: [count, count], "backward \(label)") { stream, x, y, p in
                    try relu.encodeReLUBackward(into: stream, outputGradient: x[1], mask: x[0], inputGradient: y[0], count: count,
                                                precision: p)
                    try relu.encodeReLU6Backward(into: stream, outputGradient: x[1], mask: x[0], inputGradient: y[1], count: count,
                                                 precision: p)
                    return []
                }
            }
        }
    }

    /// The 16-bit kernels write two bytes per value and nothing past them, and refuse a buffer too small
    /// for the count.
    func testSixteenBitOutputsHoldTwoBytesPerValue() throws {
        let relu = try ReLULauncher(device: device)
        for precision in [Precision.float16, .bfloat16] {
            let count = 6
            let input = try device.makeBuffer([Float](repeating: -1, count: count), precision: precision)
            let output = try device.makeBuffer([UInt16](repeating: 0xABCD, count: count + 2))
            let stream = try device.makeStream()
            try relu.encodeReLU(into: stream, input: input, output: output, count: count, precision: precision)
            try stream.run()
            XCTAssertEqual(try output.read(UInt16.self), [UInt16](repeating: 0, count: count) + [0xABCD, 0xABCD], "\(precision)")
            assertInvalidArgument("\(precision) ReLU of 9 values in 8 slots", containing: "\(precision)") {
                try relu.encodeReLU(into: stream, input: output, output: output, count: 9, precision: precision)
            }
        }
    }
}
