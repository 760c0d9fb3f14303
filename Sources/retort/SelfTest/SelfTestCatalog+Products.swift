import RetortCompute
import RetortOracle

/// The GEMM and convolution cases: every MatMulLauncher variant, every Conv2dLauncher algorithm.
extension SelfTestCatalog {
    /// GEMM on both variants (texel buffers, shared-memory tiles): odd and square sizes up to `largest`,
    /// transposes, batched and summed-over-batch products, biases, alpha/beta and forced K splits.
    static func gemmCases(largest: Int) -> [SelfTestCase] {
        typealias Shape = MatMulLauncher.Shape
        var shapes: [(String, Shape, bias: Int, alpha: Float, beta: Float, splitK: Int?)] = [
            ("1x1x1", Shape(m: 1, n: 1, k: 1), 0, 1, 0, nil),
            ("7x9x5 Aᵀ", Shape(m: 7, n: 9, k: 5, transposeA: true), 0, 1, 0, nil),
            ("33x17x65 Bᵀ row bias", Shape(m: 33, n: 17, k: 65, transposeB: true), 1, 1, 0, nil),
            ("64x100x36 batch 3 column bias α β", Shape(m: 64, n: 100, k: 36, batch: 3), 2, 0.5, 2, nil),
            ("13x31x200 batch 4 ΣAᵀ split 4", Shape(m: 13, n: 31, k: 200, batch: 4, transposeA: true, sumOverBatch: true), 0, 1, 1, 4),
            ("16x64x27 shared B batch 2", Shape(m: 16, n: 64, k: 27, batch: 2, strideB: 0), 1, 1, 0, nil),
        ]
        for size in [130, largest] where size <= largest {
            shapes.append(("\(size)x\(size + 3)x\(size + 1)", Shape(m: size, n: size + 3, k: size + 1), 0, 1, 0, nil))
        }
        return [MatMulLauncher.Variant.texel, .tiled].flatMap { variant in
            shapes.map { label, shape, bias, alpha, beta, splitK in
                SelfTestCase(family: "gemm", name: "\(variant) \(label)", direction: .forward, tolerance: 1e-4) { bench in
                    let gemm = try MatMulLauncher(device: bench.device, variant: variant)
                    let strideA = shape.strideA ?? shape.m * shape.k, strideB = shape.strideB ?? shape.k * shape.n
                    let countC = shape.sumOverBatch ? shape.m * shape.n : shape.batch * shape.m * shape.n
                    let a = bench.floats(max(1, (shape.batch - 1) * strideA + shape.m * shape.k))
                    let b = bench.floats(max(1, (shape.batch - 1) * strideB + shape.k * shape.n))
                    let c0 = bench.floats(countC)
                    let rowBias = bias == 1 ? bench.floats(shape.m) : nil, columnBias = bias == 2 ? bench.floats(shape.n) : nil
                    let c = try bench.buffer(c0)
                    let biasArgument: MatMulLauncher.Bias = try rowBias.map { .perRow(try bench.buffer($0)) }
                        ?? columnBias.map { .perColumn(try bench.buffer($0)) } ?? .none
                    try gemm.encode(into: bench.stream, a: try bench.buffer(a), b: try bench.buffer(b), c: c, shape: shape,
                                    alpha: alpha, beta: beta, bias: biasArgument, splitK: splitK)
                    let expected = MatMulOracle.gemm(a, b, c0, shape, alpha: Double(alpha), beta: Double(beta),
                                                     rowBias: rowBias, columnBias: columnBias)
                    return try bench.compare([(c, expected)])
                }
            }
        }
    }

    /// Convolutions: the zoo's layers at CIFAR sizes (batch 2) and odd ones (depthwise, grouped, strided,
    /// dilated, 1×1, with and without bias), forward and both backward passes, with the direct
    /// algorithm on every shape, Winograd where it applies, and pointwise layers both through the GEMM and not. Winograd is judged as its zoo-shape
    /// unit test judges it, relative to the result's largest value: element by element its weight
    /// gradient reaches 1–2·10⁻⁴ on long reductions (N·H·W ≥ 1568) at some seeds.
    static func convolutionCases() -> [SelfTestCase] {
        typealias Parameters = Conv2dLauncher.Parameters
        let shapes: [(String, Parameters)] = [
            ("resnet stem 3→16 3x3 [2,3,32,32]", Parameters(batch: 2, inChannels: 3, outChannels: 16, height: 32, width: 32, kernelSize: 3,
                                                             padding: 1, bias: false)),
            ("resnet 16→16 3x3 [2,16,32,32]", Parameters(batch: 2, inChannels: 16, outChannels: 16, height: 32, width: 32, kernelSize: 3,
                                                          padding: 1, bias: false)),
            ("resnet 64→64 3x3 [2,64,8,8]", Parameters(batch: 2, inChannels: 64, outChannels: 64, height: 8, width: 8, kernelSize: 3,
                                                        padding: 1, bias: false)),
            ("plane 1→32 3x3 bias [2,1,28,28]", Parameters(batch: 2, inChannels: 1, outChannels: 32, height: 28, width: 28, kernelSize: 3,
                                                            padding: 1)),
            ("odd 5→7 3x3 bias [3,5,13,11]", Parameters(batch: 3, inChannels: 5, outChannels: 7, height: 13, width: 11, kernelSize: 3,
                                                         padding: 1)),
            ("3x3 pad 0 [1,17,7,9]→33", Parameters(batch: 1, inChannels: 17, outChannels: 33, height: 7, width: 9, kernelSize: 3,
                                                    padding: 0, bias: false)),
            ("downsample 16→32 3x3 /2 [2,16,32,32]", Parameters(batch: 2, inChannels: 16, outChannels: 32, height: 32, width: 32,
                                                                 kernelSize: 3, stride: 2, padding: 1, bias: false)),
            ("shortcut 1x1 /2 [2,16,16,16]→32", Parameters(batch: 2, inChannels: 16, outChannels: 32, height: 16, width: 16, kernelSize: 1,
                                                             stride: 2, bias: false)),
            ("mobilenet pointwise 32→64 [2,32,16,16]", Parameters(batch: 2, inChannels: 32, outChannels: 64, height: 16, width: 16,
                                                                   kernelSize: 1, bias: false)),
            ("pointwise 1x1 bias [2,33,7,7]→13", Parameters(batch: 2, inChannels: 33, outChannels: 13, height: 7, width: 7, kernelSize: 1)),
            ("depthwise 3x3 [2,32,16,16]", Parameters(batch: 2, inChannels: 32, outChannels: 32, height: 16, width: 16, kernelSize: 3,
                                                       padding: 1, groups: 32, bias: false)),
            ("grouped 4 5x5 [1,12,11,13]→8", Parameters(batch: 1, inChannels: 12, outChannels: 8, height: 11, width: 13, kernelSize: 5,
                                                         padding: 2, groups: 4)),
            ("dilated 2 3x3 [2,6,15,15]→5", Parameters(batch: 2, inChannels: 6, outChannels: 5, height: 15, width: 15, kernelSize: 3,
                                                        padding: 2, dilation: 2)),
            ("7x7 /2 [1,3,33,33]→8", Parameters(batch: 1, inChannels: 3, outChannels: 8, height: 33, width: 33, kernelSize: 7, stride: 2,
                                                 padding: 3, bias: false)),
            ("single pixel [1,1,1,1]→1", Parameters(batch: 1, inChannels: 1, outChannels: 1, height: 1, width: 1, kernelSize: 1)),
        ]
        return ConvolutionVariant.allCases.flatMap { variant in
            shapes.filter { variant.applies(to: $0.1) }.flatMap { label, prm -> [SelfTestCase] in
                [ConvolutionPass.forward, .backwardData, .backwardFilter].map { pass in
                    SelfTestCase(family: "conv", name: "\(variant.rawValue) \(pass.rawValue) \(label)",
                                 direction: pass == .forward ? .forward : .backward, tolerance: 1e-4,
                                 measure: variant == .winograd ? .scale : .element) { bench in
                        try convolution(bench, prm, variant: variant, pass: pass)
                    }
                }
            }
        }
    }

    /// A pass of a convolution, as the table names it.
    enum ConvolutionPass: String { case forward = "fwd", backwardData = "dgrad", backwardFilter = "wgrad" }

    /// How a case builds its `Conv2dLauncher`.
    enum ConvolutionVariant: String, CaseIterable {
        /// The direct (implicit GEMM) algorithm; pointwise layers take the device's default route.
        case direct
        /// Winograd, where it applies.
        case winograd
        /// A pointwise layer through `MatMulLauncher` (the default on GPUs).
        case pointwiseGEMM = "1x1-as-gemm"
        /// A pointwise layer through the convolution kernels (the default on lavapipe).
        case pointwiseDirect = "1x1-direct"

        func applies(to prm: Conv2dLauncher.Parameters) -> Bool {
            switch self {
            case .direct: true
            case .winograd: Conv2dLauncher.supportsWinograd(prm)
            case .pointwiseGEMM, .pointwiseDirect: prm.isPointwise
            }
        }

        func launcher(_ device: Device, _ prm: Conv2dLauncher.Parameters) throws -> Conv2dLauncher {
            let pointwiseAsGEMM: Bool? = self == .pointwiseGEMM ? true : self == .pointwiseDirect ? false : nil
            return try Conv2dLauncher(device: device, parameters: prm, pointwiseAsGEMM: pointwiseAsGEMM,
                                      algorithm: self == .winograd ? .winograd : .direct)
        }
    }

    private static func convolution(_ bench: SelfTestBench, _ prm: Conv2dLauncher.Parameters, variant: ConvolutionVariant,
                                    pass: ConvolutionPass) throws -> Double {
        let conv = try variant.launcher(bench.device, prm)
        let inputCount = prm.inputShape.reduce(1, *), weightCount = prm.weightShape.reduce(1, *)
        let outputCount = prm.outputShape.reduce(1, *)
        let x = bench.floats(inputCount), w = bench.floats(weightCount), dy = bench.floats(outputCount)
        let b = prm.hasBias ? bench.floats(prm.outChannels) : nil
        switch pass {
        case .forward:
            let y = try bench.output(outputCount)
            try conv.encodeForward(into: bench.stream, input: try bench.buffer(x), weight: try bench.buffer(w),
                                   bias: try b.map { try bench.buffer($0) }, output: y)
            return try bench.compare([(y, Conv2dOracle.forward(prm, x: x, w: w, b: b))])
        case .backwardData:
            let dx = try bench.output(inputCount)
            try conv.encodeBackwardData(into: bench.stream, outputGradient: try bench.buffer(dy), weight: try bench.buffer(w),
                                        inputGradient: dx)
            return try bench.compare([(dx, Conv2dOracle.backwardData(prm, dy: dy, w: w))])
        case .backwardFilter:
            let dw = try bench.output(weightCount), db = prm.hasBias ? try bench.output(prm.outChannels) : nil
            try conv.encodeBackwardFilter(into: bench.stream, input: try bench.buffer(x), outputGradient: try bench.buffer(dy),
                                          weightGradient: dw, biasGradient: db)
            let expected = Conv2dOracle.backwardFilter(prm, x: x, dy: dy)
            return try bench.compare([(dw, expected.dw)] + (db.map { [($0, expected.db)] } ?? []))
        }
    }
}
