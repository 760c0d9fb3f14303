import Retort
import RetortCompute
import RetortOracle

/// The fp16 and bf16 variants of the kernels mixed-precision training runs (`--precision`; casts, GEMM,
/// convolution, batch norm, ReLU, max/average/global average pooling): every input
/// is rounded to the precision first, the oracle computes on those rounded values in Double, and the
/// 16-bit result is judged relative to the output's largest value, at twice the precision's unit
/// roundoff (2⁻¹⁰ for fp16, 2⁻⁷ for bf16): the kernels accumulate in fp32 and round once on store.
extension SelfTestCatalog {
    static func precisionCases() -> [SelfTestCase] {
        [Precision.float16, .bfloat16].flatMap { precision -> [SelfTestCase] in
            let tolerance = precision == .float16 ? 0x1p-10 : 0x1p-7
            func make(_ name: String, _ direction: SelfTestCase.Direction, _ run: @escaping (SelfTestBench, Precision) throws -> Double)
                -> SelfTestCase {
                SelfTestCase(family: "precision", name: "\(precision) \(name)", direction: direction, tolerance: tolerance,
                             measure: .scale) { bench in try run(bench, precision) }
            }
            var cases = [SelfTestCase(family: "precision", name: "\(precision) cast to and from fp32", direction: .forward, tolerance: 0) {
                try cast($0, precision)
            }]
            if precision == .float16 {
                cases.append(SelfTestCase(family: "precision", name: "fp32 gradients unscaled in place (÷ 2¹⁶)", direction: .step,
                                          tolerance: 0) { try unscale($0) })
            }
            for (label, shape, splitK) in [("33x17x65 Bᵀ column bias", MatMulLauncher.Shape(m: 33, n: 17, k: 65, transposeB: true), nil),
                                           ("13x31x200 Aᵀ split 4", MatMulLauncher.Shape(m: 13, n: 31, k: 200, transposeA: true), 4)] {
                for variant in [MatMulLauncher.Variant.texel, .tiled] {
                    cases.append(make("gemm \(variant) \(label)", .forward) { try gemm($0, $1, variant, shape, splitK: splitK) })
                }
            }
            typealias Parameters = Conv2dLauncher.Parameters
            for (label, prm) in [("plane 1→32 3x3 bias [2,1,28,28]", Parameters(batch: 2, inChannels: 1, outChannels: 32, height: 28, width: 28,
                                                                                 kernelSize: 3, padding: 1, precision: precision)),
                                 ("8→8 3x3 stride 2 [2,8,9,11]", Parameters(batch: 2, inChannels: 8, outChannels: 8, height: 9, width: 11,
                                                                            kernelSize: 3, stride: 2, padding: 1, precision: precision))] {
                cases.append(make("conv \(label)", .forward) { bench, _ in try convolution(bench, prm, backward: false) })
                cases.append(make("conv \(label)", .backward) { bench, _ in try convolution(bench, prm, backward: true) })
            }
            let s = NCHWShape(n: 3, c: 6, h: 8, w: 16)
            cases += [make("batchnorm eval \(s)", .forward) { try batchNormEval($0, $1, s) },
                      make("batchnorm train +relu \(s)", .forward) { try batchNormTraining($0, s, relu: true, backward: false, precision: $1) },
                      make("batchnorm train +relu \(s)", .backward) { try batchNormTraining($0, s, relu: true, backward: true, precision: $1) },
                      make("relu \(s)", .forward) { try relu($0, $1, s.count, backward: false) },
                      make("relu \(s)", .backward) { try relu($0, $1, s.count, backward: true) }]
            for window in [PoolLauncher.Window(kernel: 2), PoolLauncher.Window(kernel: 3, stride: 2, padding: 1)] {
                cases.append(make("max pool \(window) \(s)", .forward) { try maxPool($0, $1, s, window, backward: false) })
                cases.append(make("max pool \(window) \(s)", .backward) { try maxPool($0, $1, s, window, backward: true) })
            }
            let window = PoolLauncher.Window(kernel: 3, stride: 2, padding: 1)
            for direction in [SelfTestCase.Direction.forward, .backward] {
                cases.append(make("avg pool \(window) \(s)", direction) {
                    try averagePool($0, s, window, countIncludesPadding: false, backward: direction == .backward, precision: $1)
                })
                cases.append(make("global avg pool \(s)", direction) {
                    try globalAveragePool($0, s, backward: direction == .backward, precision: $1)
                })
            }
            return cases
        }
    }

    /// fp32 → 16 bits → fp32 of values at the edges of the format: bit for bit what the host's
    /// round-to-nearest-even gives (error 0), or infinite.
    private static func cast(_ bench: SelfTestBench, _ precision: Precision) throws -> Double {
        let values: [Float] = bench.floats(61, in: -70_000...70_000) + [0, -0, 65504, 65520, 1e-7, 3e-8, 0x1p-126, .infinity, -.infinity]
        let narrow = try bench.device.makeBuffer(byteCount: (values.count * 2 + 7) / 8 * 8), wide = try bench.output(values.count)
        let cast = CastLauncher(device: bench.device)
        try cast.encodeNarrow(into: bench.stream, input: try bench.buffer(values), output: narrow, count: values.count, precision: precision)
        try cast.encodeWiden(into: bench.stream, input: narrow, output: wide, count: values.count, precision: precision)
        try bench.run()
        let expected = values.map { precision.rounded($0) }
        return try bench.read(wide, values.count).map(\.bitPattern) == expected.map(\.bitPattern) ? 0 : .infinity
    }

    /// The loss scaler's unscale: an fp32 buffer scaled in place by a power of two, exactly.
    private static func unscale(_ bench: SelfTestBench) throws -> Double {
        let values = bench.floats(1000, in: -1e4...1e4) + [.infinity, 0]
        let buffer = try bench.buffer(values)
        try CastLauncher(device: bench.device).encodeNarrow(into: bench.stream, input: buffer, output: buffer, count: values.count,
                                                           precision: .float32, scale: 0x1p-16)
        try bench.run()
        return try bench.read(buffer, values.count) == values.map { $0 * 0x1p-16 } ? 0 : .infinity
    }

    private static func gemm(_ bench: SelfTestBench, _ precision: Precision, _ variant: MatMulLauncher.Variant, _ shape: MatMulLauncher.Shape,
                             splitK: Int?) throws -> Double {
        let launcher = try MatMulLauncher(device: bench.device, variant: variant)
        let a = bench.values(shape.m * shape.k, precision), b = bench.values(shape.k * shape.n, precision)
        let bias = bench.values(shape.n, precision), c = try bench.output(shape.m * shape.n, precision)
        try launcher.encode(into: bench.stream, a: try bench.buffer(a, precision), b: try bench.buffer(b, precision), c: c, shape: shape,
                            bias: .perColumn(try bench.buffer(bias, precision)), splitK: splitK, precision: precision)
        let zeros = [Float](repeating: 0, count: shape.m * shape.n)
        return try bench.compare([(c, MatMulOracle.gemm(a, b, zeros, shape, columnBias: bias))], precision)
    }

    private static func convolution(_ bench: SelfTestBench, _ prm: Conv2dLauncher.Parameters, backward: Bool) throws -> Double {
        let precision = prm.precision
        let conv = try Conv2dLauncher(device: bench.device, parameters: prm)
        let counts = [prm.inputShape, prm.weightShape, prm.outputShape].map { $0.reduce(1, *) }
        let x = bench.values(counts[0], precision), w = bench.values(counts[1], precision), b = bench.values(prm.outChannels, precision)
        let (input, weight) = (try bench.buffer(x, precision), try bench.buffer(w, precision))
        guard backward else {
            let y = try bench.output(counts[2], precision)
            try conv.encodeForward(into: bench.stream, input: input, weight: weight, bias: try bench.buffer(b, precision), output: y)
            return try bench.compare([(y, Conv2dOracle.forward(prm, x: x, w: w, b: b))], precision)
        }
        let dy = bench.values(counts[2], precision), gradient = try bench.buffer(dy, precision)
        let dx = try bench.output(counts[0], precision), dw = try bench.output(counts[1], precision)
        let db = try bench.output(prm.outChannels, precision)
        try conv.encodeBackwardData(into: bench.stream, outputGradient: gradient, weight: weight, inputGradient: dx)
        try conv.encodeBackwardFilter(into: bench.stream, input: input, outputGradient: gradient, weightGradient: dw, biasGradient: db)
        let filter = Conv2dOracle.backwardFilter(prm, x: x, dy: dy)
        return try bench.compare([(dx, Conv2dOracle.backwardData(prm, dy: dy, w: w)), (dw, filter.dw), (db, filter.db)], precision)
    }

    /// Evaluation mode: the running statistics (fp32) applied to a 16-bit x.
    private static func batchNormEval(_ bench: SelfTestBench, _ precision: Precision, _ s: NCHWShape) throws -> Double {
        let x = bench.values(s.count, precision).map { 2 * $0 }, weight = bench.floats(s.c, in: 0.5...1.5), bias = bench.floats(s.c)
        let mean = bench.floats(s.c), variance = bench.floats(s.c, in: 0.5...2), y = try bench.output(s.count, precision)
        try BatchNormLauncher(device: bench.device).encodeInferenceForward(
            into: bench.stream, input: try bench.buffer(x, precision), weight: try bench.buffer(weight), bias: try bench.buffer(bias),
            runningMean: try bench.buffer(mean), runningVariance: try bench.buffer(variance), output: y, batch: s.n, channels: s.c,
            height: s.h, width: s.w, precision: precision)
        let expected = BatchNormOracle.normalize(x, s, mean: mean.map(Double.init), variance: variance.map(Double.init), weight: weight,
                                                 bias: bias, eps: 1e-5)
        return try bench.compare([(y, expected)], precision)
    }

    private static func relu(_ bench: SelfTestBench, _ precision: Precision, _ count: Int, backward: Bool) throws -> Double {
        let launcher = try ReLULauncher(device: bench.device)
        let x = bench.values(count, precision), output = try bench.output(count, precision)
        guard backward else {
            try launcher.encodeReLU(into: bench.stream, input: try bench.buffer(x, precision), output: output, count: count, precision: precision)
            return try bench.compare([(output, ReLUOracle.relu(x))], precision)
        }
        let dy = bench.values(count, precision)
        try launcher.encodeReLUBackward(into: bench.stream, outputGradient: try bench.buffer(dy, precision), mask: try bench.buffer(x, precision),
                                        inputGradient: output, count: count, precision: precision)
        return try bench.compare([(output, ReLUOracle.reluBackward(mask: x, dy))], precision)
    }

    private static func maxPool(_ bench: SelfTestBench, _ precision: Precision, _ s: NCHWShape, _ window: PoolLauncher.Window,
                                backward: Bool) throws -> Double {
        let pooling = try PoolLauncher(device: bench.device)
        let (oh, ow) = window.outputSize(height: s.h, width: s.w)!
        let outputs = s.planes * oh * ow
        // Each plane's 128 values are i/64 − 1 (exact in both formats), shuffled: no ties after rounding.
        let x = (0..<s.planes).flatMap { _ in bench.distinctFloats(s.h * s.w) }
        let y = try bench.output(outputs, precision), indices = try bench.device.makeBuffer(byteCount: outputs * 4)
        try pooling.encodeMaxForward(into: bench.stream, input: try bench.buffer(x, precision), output: y, indices: indices,
                                     batch: s.n, channels: s.c, height: s.h, width: s.w, window: window, precision: precision)
        let expected = PoolOracle.maxForward(x, s, window)
        guard backward else { return try bench.compare([(y, expected.y)], precision) }
        let dy = bench.values(outputs, precision), dx = try bench.output(s.count, precision)
        try pooling.encodeMaxBackward(into: bench.stream, outputGradient: try bench.buffer(dy, precision), indices: indices, inputGradient: dx,
                                      batch: s.n, channels: s.c, height: s.h, width: s.w, window: window, precision: precision)
        return try bench.compare([(dx, PoolOracle.maxBackward(dy, indices: expected.indices, s, outputsPerPlane: oh * ow))], precision)
    }
}

extension SelfTestBench {
    /// `count` uniform values in [-1, 1], rounded to `precision` (what the oracle then computes on).
    func values(_ count: Int, _ precision: Precision) -> [Float] { floats(count).map { precision.rounded($0) } }

    /// A device buffer holding `values` in `precision` (16-bit ones padded to whole 8-byte texels).
    func buffer(_ values: [Float], _ precision: Precision) throws -> Buffer {
        guard precision.isReduced else { return try buffer(values) }
        let words = precision.narrow(values)
        return try buffer(words + [UInt16](repeating: 0, count: (4 - words.count % 4) % 4))
    }

    /// Room for `count` values of `precision`, filled with NaN (an element the kernel does not write fails the case).
    func output(_ count: Int, _ precision: Precision) throws -> Buffer { try buffer([Float](repeating: .nan, count: max(count, 1)), precision) }

    /// The first `count` values of a `precision` buffer, as `Float`s.
    func read(_ buffer: Buffer, _ count: Int, _ precision: Precision) throws -> [Float] {
        precision.isReduced ? precision.widen(try buffer.read(UInt16.self, count: count)) : try read(buffer, count)
    }

    /// Runs what was recorded, then the largest error of `precision` outputs against their oracle values (fp32: by the
    /// case's measure; 16-bit: scaled, relative to the output's largest value).
    func compare(_ outputs: [(Buffer, [Double])], _ precision: Precision) throws -> Double {
        guard precision.isReduced else { return try compare(outputs) }
        try run()
        return try outputs.reduce(0) { worst, output in
            let words = try output.0.read(UInt16.self, count: output.1.count)
            return max(worst, maxScaledError(precision.widen(words), output.1))
        }
    }
}
