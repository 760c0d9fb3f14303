import XCTest
import RetortCompute
import RetortTestSupport

/// The fp16 and bf16 pooling kernels (max pooling's 2×2 fast path and general window, average pooling with
/// and without the padding in the divisor, global average pooling; forward and backward) against the fp32
/// kernels on the same (rounded) values.
final class PoolPrecisionTests: DeviceTestCase {
    func testMaxPoolingMatchesFloat32() throws {
        let pool = try PoolLauncher(device: device)
        var random = TestRandom(seed: 43)
        // (N, C, H, W, window): the 2×2 vector path (W % 8 == 0), odd sizes, padding, stride 1, dilation.
        let cases: [(Int, Int, Int, Int, PoolLauncher.Window)] = [
            (2, 3, 8, 16, .init(kernel: 2)), (1, 2, 7, 9, .init(kernel: 2)), (2, 2, 9, 11, .init(kernel: 3, stride: 2, padding: 1)),
            (1, 3, 6, 5, .init(kernel: 2, stride: 1)), (1, 1, 9, 9, .init(kernel: 2, stride: 1, padding: 1, dilation: 2)),
        ]
        for precision in [Precision.float16, .bfloat16] {
            for (n, c, h, w, window) in cases {
                let (oh, ow) = try XCTUnwrap(window.outputSize(height: h, width: w))
                var x = random.floats(n * c * h * w, in: -4...4)
                (x[0], x[5], x[h * w - 1]) = (.nan, .infinity, -.infinity)
                let dy = random.floats(n * c * oh * ow, in: -4...4)
                try assertMatchesFloat32(precision, inputs: [x, dy], outputs: [n * c * oh * ow, n * c * h * w],
                                         "max pool [\(n), \(c), \(h), \(w)] \(window)") { stream, input, output, p in
                    let indices = try device.makeBuffer(byteCount: n * c * oh * ow * 4)
                    try pool.encodeMaxForward(into: stream, input: input[0], output: output[0], indices: indices,
                                              batch: n, channels: c, height: h, width: w, window: window, precision: p)
                    try pool.encodeMaxBackward(into: stream, outputGradient: input[1], indices: indices, inputGradient: output[1],
                                               batch: n, channels: c, height: h, width: w, window: window, precision: p)
                    return []
                }
            }
        }
    }

    func testAveragePoolingMatchesFloat32() throws {
        let pool = try PoolLauncher(device: device)
        var random = TestRandom(seed: 45)
        // (N, C, H, W, window, padding in the divisor): a window as large as the plane runs as global pooling;
        // H·W of 36 reads four values per texel, 35 one.
        let cases: [(Int, Int, Int, Int, PoolLauncher.Window, Bool)] = [
            (2, 3, 7, 9, .init(kernel: 3, stride: 2, padding: 1), true), (1, 2, 6, 6, .init(kernel: 2), false),
            (2, 3, 6, 6, .init(kernel: 6), true),
            (2, 2, 5, 7, .init(kernelHeight: 5, kernelWidth: 7, strideHeight: 1, strideWidth: 1), true),
        ]
        for precision in [Precision.float16, .bfloat16] {
            for (n, c, h, w, window, countPad) in cases {
                let (oh, ow) = try XCTUnwrap(window.outputSize(height: h, width: w))
                var x = random.floats(n * c * h * w, in: -4...4)
                (x[1], x[x.count - 1]) = (.nan, .infinity)
                let dy = random.floats(n * c * oh * ow, in: -4...4)
                try assertMatchesFloat32(precision, inputs: [x, dy], outputs: [n * c * oh * ow, n * c * h * w],
                                         "average pool [\(n), \(c), \(h), \(w)] \(window)") { stream, input, output, p in
                    try pool.encodeAverageForward(into: stream, input: input[0], output: output[0], batch: n, channels: c, height: h,
                                                  width: w, window: window, countIncludesPadding: countPad, precision: p)
                    try pool.encodeAverageBackward(into: stream, outputGradient: input[1], inputGradient: output[1], batch: n, channels: c,
                                                   height: h, width: w, window: window, countIncludesPadding: countPad, precision: p)
                    return []
                }
            }
        }
    }

    func testSixteenBitBuffersAreCheckedInTheirPrecision() throws {
        let pool = try PoolLauncher(device: device)
        let stream = try device.makeStream()
        let x = try device.makeBuffer(count: 2 * 8 * 8, precision: .float16), indices = try device.makeBuffer(byteCount: 2 * 16 * 4)
        let y = try device.makeBuffer(count: 2 * 16, precision: .float16)
        try pool.encodeMaxForward(into: stream, input: x, output: y, indices: indices, batch: 2, channels: 1, height: 8, width: 8,
                                  window: .init(kernel: 2), precision: .float16)
        // The same 128 values as fp32 need 512 bytes, twice what the fp16 input holds.
        assertInvalidArgument("fp32 input in an fp16-sized buffer", containing: "input") {
            try pool.encodeMaxForward(into: stream, input: x, output: y, indices: indices, batch: 2, channels: 1, height: 8, width: 8,
                                      window: .init(kernel: 2))
        }
        try stream.run()
    }
}
