import XCTest
import RetortCompute
import RetortTestSupport

/// The fp16 and bf16 GEMM kernels (texel and tiled families; packing, split-K and its reduction, sums over
/// the batch, biases, accumulation into C) against the fp32 kernels on the same (rounded) operands, NaN and
/// infinities included.
final class MatMulPrecisionTests: DeviceTestCase {
    private typealias Shape = MatMulLauncher.Shape

    func testEveryPathMatchesFloat32() throws {
        var random = TestRandom(seed: 67)
        // (shape, bias per row / column / none, split-K, beta)
        let cases: [(Shape, Int, Int?, Float)] = [
            (Shape(m: 16, n: 32, k: 24), 2, nil, 0),                          // aligned, as a linear layer without packing
            (Shape(m: 7, n: 10, k: 13, transposeB: true), 2, nil, 0),        // a linear layer's forward, odd sizes
            (Shape(m: 9, n: 6, k: 5, transposeA: true), 0, 3, 0),            // a weight gradient, split over K
            (Shape(m: 5, n: 12, k: 8, batch: 3, sumOverBatch: true), 1, nil, 0),
            (Shape(m: 6, n: 8, k: 40), 0, nil, 0.5),                         // accumulate into C
        ]
        for variant in [MatMulLauncher.Variant.texel, .tiled] {
            let gemm = try MatMulLauncher(device: device, variant: variant)
            for precision in [Precision.float16, .bfloat16] {
                for (shape, biasMode, splitK, beta) in cases {
                    let outputs = shape.m * shape.n * (shape.sumOverBatch ? 1 : shape.batch)
                    var inputs = [random.floats(shape.m * shape.k * shape.batch), random.floats(shape.k * shape.n * shape.batch),
                                  random.floats(max(shape.m, shape.n)), random.floats(outputs)]
                    // A NaN and an infinity in A: their rows of C are NaN or ±∞ as in fp32.
                    (inputs[0][0], inputs[0][inputs[0].count - 1]) = (.nan, .infinity)
                    try assertMatchesFloat32(precision, inputs: inputs, outputs: [outputs], "\(variant) \(shape)") {
                        stream, input, output, p in
                        let bias: MatMulLauncher.Bias = [.none, .perRow(input[2]), .perColumn(input[2])][biasMode]
                        if beta != 0 { try stream.copy(input[3], to: output[0], byteCount: outputs * p.byteCount) }
                        try gemm.encode(into: stream, a: input[0], b: input[1], c: output[0], shape: shape, beta: beta, bias: bias,
                                        splitK: splitK, precision: p)
                        return []
                    }
                }
            }
        }
    }

    func testSixteenBitOperandsAreCheckedInTheirPrecision() throws {
        let gemm = try MatMulLauncher(device: device)
        let stream = try device.makeStream()
        let a = try device.makeBuffer(count: 8, precision: .bfloat16), c = try device.makeBuffer(count: 9, precision: .bfloat16)
        assertInvalidArgument("a 3×3 bf16 product from 8 values", containing: "A needs 9 bf16 values") {
            try gemm.encode(into: stream, a: a, b: c, c: c, shape: Shape(m: 3, n: 3, k: 3), precision: .bfloat16)
        }
    }
}
