import XCTest
import RetortCompute
import RetortTestSupport

/// Batch norm's fp16 and bf16 kernels (training forward, evaluation forward, backward, with and without the
/// fused ReLU) against the fp32 kernels on the same (rounded) x and dy: the 16-bit y and dx within the
/// precision's rounding, the fp32 statistics and parameter gradients as fp32 computes them.
final class BatchNormPrecisionTests: DeviceTestCase {
    func testTrainingEvaluationAndBackwardMatchFloat32() throws {
        let norm = try BatchNormLauncher(device: device)
        var random = TestRandom(seed: 47)
        // H·W odd (one value per texel) and a multiple of 4 (four per texel).
        for (n, c, h, w) in [(2, 3, 5, 7), (4, 4, 8, 8)] {
            let count = n * c * h * w
            let x = random.floats(count, in: -3...5), dy = random.floats(count)
            let gamma = random.floats(c, in: 0.5...1.5), beta = random.floats(c)
            for precision in [Precision.float16, .bfloat16] {
                for relu in [false, true] {
                    try assertMatchesFloat32(precision, inputs: [x, dy], outputs: [count, count, count],
                                             "batch norm [\(n), \(c), \(h), \(w)] relu \(relu)") { stream, input, output, p in
                        let weight = try device.makeBuffer(gamma), bias = try device.makeBuffer(beta)
                        let mean = try device.makeBuffer([Float](repeating: 0.1, count: c))
                        let variance = try device.makeBuffer([Float](repeating: 0.9, count: c))
                        let saved = (try device.makeBuffer(byteCount: c * 4), try device.makeBuffer(byteCount: c * 4))
                        let gradients = (try device.makeBuffer(byteCount: c * 4), try device.makeBuffer(byteCount: c * 4))
                        try norm.encodeTrainingForward(into: stream, input: input[0], weight: weight, bias: bias, runningMean: mean,
                                                       runningVariance: variance, output: output[0], savedMean: saved.0,
                                                       savedInvstd: saved.1, batch: n, channels: c, height: h, width: w, relu: relu,
                                                       precision: p)
                        try norm.encodeBackward(into: stream, outputGradient: input[1], input: input[0], reluOutput: relu ? output[0] : nil,
                                                savedMean: saved.0, savedInvstd: saved.1, weight: weight, inputGradient: output[1],
                                                weightGradient: gradients.0, biasGradient: gradients.1, batch: n, channels: c,
                                                height: h, width: w, precision: p)
                        try norm.encodeInferenceForward(into: stream, input: input[0], weight: weight, bias: bias, runningMean: mean,
                                                        runningVariance: variance, output: output[2], batch: n, channels: c,
                                                        height: h, width: w, relu: relu, precision: p)
                        return [(saved.0, c), (saved.1, c), (mean, c), (variance, c), (gradients.0, c), (gradients.1, c)]
                    }
                }
            }
        }
    }

    /// A NaN in a channel makes that channel's statistics, outputs and input gradients NaN, as in fp32.
    func testNaNPropagatesAsInFloat32() throws {
        let norm = try BatchNormLauncher(device: device)
        var random = TestRandom(seed: 53)
        let (n, c, h, w) = (2, 2, 4, 4)
        var x = random.floats(n * c * h * w)
        x[3] = .nan
        for precision in [Precision.float16, .bfloat16] {
            try assertMatchesFloat32(precision, inputs: [x], outputs: [x.count], "batch norm with a NaN") { stream, input, output, p in
                let ones = try device.makeBuffer([Float](repeating: 1, count: c))
                let zeros = try device.makeBuffer([Float](repeating: 0, count: c))
                let saved = (try device.makeBuffer(byteCount: c * 4), try device.makeBuffer(byteCount: c * 4))
                try norm.encodeTrainingForward(into: stream, input: input[0], weight: ones, bias: zeros,
                                               runningMean: try device.makeBuffer([Float](repeating: 0, count: c)),
                                               runningVariance: try device.makeBuffer([Float](repeating: 1, count: c)), output: output[0],
                                               savedMean: saved.0, savedInvstd: saved.1, batch: n, channels: c, height: h, width: w,
                                               precision: p)
                return [(saved.0, c)]
            }
        }
    }
}
