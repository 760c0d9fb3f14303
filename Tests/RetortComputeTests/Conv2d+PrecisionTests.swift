import XCTest
import RetortCompute
import RetortTestSupport

/// The fp16 and bf16 convolution kernels (forward, backward data, backward filter with its split reduction,
/// the bias gradient, weight packing, and pointwise convolutions as GEMMs) against the fp32 kernels on the
/// same (rounded) x, w, b and dy.
final class Conv2dPrecisionTests: DeviceTestCase {
    private typealias Parameters = Conv2dLauncher.Parameters

    private func shapes(_ precision: Precision) -> [(Parameters, pointwiseAsGEMM: Bool)] {
        [
            // plane6's first layer: 3×3, padding 1, bias, rows of 28 (four-wide loads), 6 channels.
            (Parameters(batch: 2, inChannels: 1, outChannels: 6, height: 28, width: 28, kernelSize: 3, padding: 1,
                        precision: precision), false),
            // Packed weights (channels % 4 == 0), odd width, stride 2, a filter gradient split over rows.
            (Parameters(batch: 2, inChannels: 8, outChannels: 8, height: 9, width: 11, kernelSize: 3, stride: 2, padding: 1,
                        precision: precision), false),
            // Depthwise with dilation, no bias.
            (Parameters(batch: 1, inChannels: 4, outChannels: 4, height: 10, width: 12, kernelSize: 3, padding: 2, dilation: 2, groups: 4,
                        bias: false, precision: precision), false),
            // 1×1 through the direct kernels and through the GEMM (what GPUs run).
            (Parameters(batch: 2, inChannels: 16, outChannels: 20, height: 5, width: 6, kernelSize: 1, precision: precision), false),
            (Parameters(batch: 2, inChannels: 16, outChannels: 20, height: 5, width: 6, kernelSize: 1, precision: precision), true),
        ]
    }

    func testEveryPassMatchesFloat32() throws {
        var random = TestRandom(seed: 59)
        for precision in [Precision.float16, .bfloat16] {
            for (prm, gemm) in shapes(precision) {
                let counts = [prm.inputShape, prm.weightShape, [prm.outChannels], prm.outputShape].map { $0.reduce(1, *) }
                let inputs = counts.map { random.floats($0) }
                var fp32 = prm
                fp32.precision = .float32
                let launchers = (try Conv2dLauncher(device: device, parameters: fp32, pointwiseAsGEMM: gemm),
                                 try Conv2dLauncher(device: device, parameters: prm, pointwiseAsGEMM: gemm))
                XCTAssertEqual(launchers.1.algorithm, .direct)
                // The bias gradient is compared only when there is one (otherwise its buffer is never written).
                let outputs = [counts[3], counts[0], counts[1]] + (prm.hasBias ? [counts[2]] : [])
                try assertMatchesFloat32(precision, inputs: inputs, outputs: outputs,
                                         "\(prm)\(gemm ? " as GEMM" : "")") { stream, input, output, p in
                    let conv = p == .float32 ? launchers.0 : launchers.1
                    let bias = prm.hasBias ? input[2] : nil
                    try conv.encodeForward(into: stream, input: input[0], weight: input[1], bias: bias, output: output[0])
                    try conv.encodeBackwardData(into: stream, outputGradient: input[3], weight: input[1], inputGradient: output[1])
                    try conv.encodeBackwardFilter(into: stream, input: input[0], outputGradient: input[3], weightGradient: output[2],
                                                  biasGradient: prm.hasBias ? output[3] : nil)
                    return []
                }
            }
        }
    }

    /// An infinite input makes the outputs that read it infinite or NaN exactly where fp32's are.
    func testInfinityAndNaNPropagateAsInFloat32() throws {
        var random = TestRandom(seed: 61)
        for precision in [Precision.float16, .bfloat16] {
            let prm = Parameters(batch: 1, inChannels: 4, outChannels: 4, height: 6, width: 8, kernelSize: 3, padding: 1,
                                 precision: precision)
            var fp32 = prm
            fp32.precision = .float32
            var x = random.floats(prm.inputShape.reduce(1, *))
            (x[9], x[40]) = (.infinity, .nan)
            let w = random.floats(prm.weightShape.reduce(1, *)), b = random.floats(4)
            let launchers = (try Conv2dLauncher(device: device, parameters: fp32), try Conv2dLauncher(device: device, parameters: prm))
            try assertMatchesFloat32(precision, inputs: [x, w, b], outputs: [prm.outputShape.reduce(1, *)], "conv with ∞ and NaN") {
                stream, input, output, p in
                try (p == .float32 ? launchers.0 : launchers.1).encodeForward(into: stream, input: input[0], weight: input[1],
                                                                              bias: input[2], output: output[0])
                return []
            }
        }
    }

    /// 16-bit convolutions run the direct kernels: Winograd is refused when asked for and not chosen by the
    /// rule where fp32 would take it.
    func testSixteenBitConvolutionsUseTheDirectKernels() throws {
        for precision in [Precision.float16, .bfloat16] {
            let prm = Parameters(batch: 2, inChannels: 32, outChannels: 32, height: 8, width: 8, kernelSize: 3, padding: 1,
                                 precision: precision)
            XCTAssertFalse(Conv2dLauncher.supportsWinograd(prm))
            XCTAssertEqual(try Conv2dLauncher(device: device, parameters: prm).algorithm, .direct)
            assertInvalidArgument("\(precision) Winograd", containing: "fp32") {
                _ = try Conv2dLauncher(device: device, parameters: prm, algorithm: .winograd)
            }
        }
    }
}
