import RetortCompute
import RetortOracle

/// The batch-norm and pooling cases.
extension SelfTestCatalog {
    /// Batch norm: the training forward (with the fused ReLU and without), its backward, and the
    /// evaluation forward, on the zoo's planes and odd ones.
    static func batchNormCases() -> [SelfTestCase] {
        let shapes = [NCHWShape(n: 2, c: 16, h: 32, w: 32), NCHWShape(n: 2, c: 64, h: 8, w: 8), NCHWShape(n: 3, c: 5, h: 13, w: 7),
                      NCHWShape(n: 7, c: 3, h: 2, w: 6), NCHWShape(n: 2, c: 1, h: 1, w: 1)]
        return shapes.flatMap { s in
            [false, true].flatMap { relu -> [SelfTestCase] in
                let label = "\(relu ? "+relu " : "")\(s)"
                return [
                    SelfTestCase(family: "batchnorm", name: "train \(label)", direction: .forward, tolerance: 1e-4) { bench in
                        try batchNormTraining(bench, s, relu: relu, backward: false)
                    },
                    SelfTestCase(family: "batchnorm", name: "train \(label)", direction: .backward, tolerance: 1e-4) { bench in
                        try batchNormTraining(bench, s, relu: relu, backward: true)
                    },
                    SelfTestCase(family: "batchnorm", name: "eval \(label)", direction: .forward, tolerance: 1e-4) { bench in
                        let norm = try BatchNormLauncher(device: bench.device)
                        let x = bench.floats(s.count, in: -2...2), weight = bench.floats(s.c, in: 0.5...1.5), bias = bench.floats(s.c)
                        let mean = bench.floats(s.c), variance = bench.floats(s.c, in: 0.5...2), y = try bench.output(s.count)
                        try norm.encodeInferenceForward(into: bench.stream, input: try bench.buffer(x), weight: try bench.buffer(weight),
                                                        bias: try bench.buffer(bias), runningMean: try bench.buffer(mean),
                                                        runningVariance: try bench.buffer(variance), output: y,
                                                        batch: s.n, channels: s.c, height: s.h, width: s.w, relu: relu)
                        let expected = BatchNormOracle.normalize(x, s, mean: mean.map(Double.init), variance: variance.map(Double.init),
                                                                 weight: weight, bias: bias, eps: 1e-5)
                        return try bench.compare([(y, relu ? expected.map { max($0, 0) } : expected)])
                    },
                ]
            }
        }
    }

    /// The training forward (y, saved mean and 1/std) or, after it, the backward (dx, dweight, dbias); with a 16-bit
    /// `precision`, x, y, dy and dx in it (rounded first) and the statistics and parameters in fp32.
    static func batchNormTraining(_ bench: SelfTestBench, _ s: NCHWShape, relu: Bool, backward: Bool,
                                  precision: Precision = .float32) throws -> Double {
        let norm = try BatchNormLauncher(device: bench.device)
        let x = bench.floats(s.count, in: -2...2).map { precision.rounded($0) }, dy = bench.floats(s.count).map { precision.rounded($0) }
        let weight = bench.floats(s.c, in: 0.5...1.5), bias = bench.floats(s.c, in: -0.5...0.5)
        let (input, weights) = (try bench.buffer(x, precision), try bench.buffer(weight))
        let y = try bench.output(s.count, precision), savedMean = try bench.output(s.c), savedInvstd = try bench.output(s.c)
        try norm.encodeTrainingForward(into: bench.stream, input: input, weight: weights, bias: try bench.buffer(bias),
                                       runningMean: try bench.buffer([Float](repeating: 0, count: s.c)),
                                       runningVariance: try bench.buffer([Float](repeating: 1, count: s.c)), output: y,
                                       savedMean: savedMean, savedInvstd: savedInvstd, batch: s.n, channels: s.c, height: s.h, width: s.w,
                                       relu: relu, precision: precision)
        let (mean, variance) = BatchNormOracle.statistics(x, s)
        guard backward else {
            let normalized = BatchNormOracle.normalize(x, s, mean: mean, variance: variance, weight: weight, bias: bias, eps: 1e-5)
            return max(try bench.compare([(y, relu ? normalized.map { max($0, 0) } : normalized)], precision),
                       try bench.compare([(savedMean, mean), (savedInvstd, variance.map { 1 / ($0 + 1e-5).squareRoot() })]))
        }
        let dx = try bench.output(s.count, precision), dWeight = try bench.output(s.c), dBias = try bench.output(s.c)
        try norm.encodeBackward(into: bench.stream, outputGradient: try bench.buffer(dy, precision), input: input,
                                reluOutput: relu ? y : nil, savedMean: savedMean, savedInvstd: savedInvstd, weight: weights,
                                inputGradient: dx, weightGradient: dWeight, biasGradient: dBias, batch: s.n, channels: s.c, height: s.h,
                                width: s.w, precision: precision)
        try bench.run()
        // The fused ReLU's backward masks dy by the device's own output, as the unit tests do.
        let masked = relu ? zip(try bench.read(y, s.count, precision), dy).map { $0 > 0 ? $1 : 0 } : dy
        let expected = BatchNormOracle.backward(dy: masked, x: x, s, weight: weight, eps: 1e-5)
        return max(try bench.compare([(dx, expected.dx)], precision), try bench.compare([(dWeight, expected.dWeight), (dBias, expected.dBias)]))
    }

    /// Pooling: max (general, dilated and the 2×2 fast path), average (padding counted or not) and
    /// global average, forward and backward.
    static func poolCases() -> [SelfTestCase] {
        typealias Window = PoolLauncher.Window
        let shapes = [NCHWShape(n: 2, c: 16, h: 32, w: 32), NCHWShape(n: 3, c: 5, h: 13, w: 7), NCHWShape(n: 2, c: 3, h: 9, w: 24),
                      NCHWShape(n: 1, c: 1, h: 1, w: 1)]
        let maxWindows: [(String, Window)] = [
            ("max 2x2", Window(kernel: 2)), ("max 3x3 /2 pad 1", Window(kernel: 3, stride: 2, padding: 1)),
            ("max 3x3 /2 dilated 2", Window(kernel: 3, stride: 2, padding: 1, dilation: 2)),
        ]
        let averageWindows: [(String, Window, Bool)] = [
            ("avg 2x2", Window(kernel: 2), true), ("avg 3x3 /2 pad 1 (padding not counted)", Window(kernel: 3, stride: 2, padding: 1),
                                                   false),
            ("avg 2x3 /1,2 pad 1", Window(kernelHeight: 2, kernelWidth: 3, strideHeight: 1, strideWidth: 2, paddingHeight: 1,
                                          paddingWidth: 1),
             true),
        ]
        var cases: [SelfTestCase] = []
        for s in shapes {
            for (label, window) in maxWindows where window.outputSize(height: s.h, width: s.w) != nil {
                for direction in [SelfTestCase.Direction.forward, .backward] {
                    cases.append(SelfTestCase(family: "pool", name: "\(label) \(s)", direction: direction, tolerance: 1e-4) { bench in
                        try maxPool(bench, s, window, backward: direction == .backward)
                    })
                }
            }
            for (label, window, counted) in averageWindows where window.outputSize(height: s.h, width: s.w) != nil {
                for direction in [SelfTestCase.Direction.forward, .backward] {
                    cases.append(SelfTestCase(family: "pool", name: "\(label) \(s)", direction: direction, tolerance: 1e-4) { bench in
                        try averagePool(bench, s, window, countIncludesPadding: counted, backward: direction == .backward)
                    })
                }
            }
            for direction in [SelfTestCase.Direction.forward, .backward] {
                cases.append(SelfTestCase(family: "pool", name: "global avg \(s)", direction: direction, tolerance: 1e-4) { bench in
                    try globalAveragePool(bench, s, backward: direction == .backward)
                })
            }
        }
        return cases
    }

    private static func maxPool(_ bench: SelfTestBench, _ s: NCHWShape, _ window: PoolLauncher.Window, backward: Bool) throws -> Double {
        let pooling = try PoolLauncher(device: bench.device)
        let (oh, ow) = window.outputSize(height: s.h, width: s.w)!
        let outputs = s.planes * oh * ow
        let x = bench.distinctFloats(s.count), dy = bench.floats(outputs)
        let y = try bench.output(outputs), indices = try bench.device.makeBuffer(byteCount: outputs * 4)
        try pooling.encodeMaxForward(into: bench.stream, input: try bench.buffer(x), output: y, indices: indices,
                                     batch: s.n, channels: s.c, height: s.h, width: s.w, window: window)
        let expected = PoolOracle.maxForward(x, s, window)
        guard backward else {
            let error = try bench.compare([(y, expected.y)])
            // A wrong argmax is as wrong as a wrong value.
            return try indices.read(Int32.self, count: outputs) == expected.indices ? error : .infinity
        }
        let dx = try bench.output(s.count)
        try pooling.encodeMaxBackward(into: bench.stream, outputGradient: try bench.buffer(dy), indices: indices, inputGradient: dx,
                                      batch: s.n, channels: s.c, height: s.h, width: s.w, window: window)
        return try bench.compare([(dx, PoolOracle.maxBackward(dy, indices: expected.indices, s, outputsPerPlane: oh * ow))])
    }

    /// Average pooling forward or backward; with a 16-bit `precision`, x, y, dy and dx in it (rounded first).
    static func averagePool(_ bench: SelfTestBench, _ s: NCHWShape, _ window: PoolLauncher.Window, countIncludesPadding: Bool,
                            backward: Bool, precision: Precision = .float32) throws -> Double {
        let pooling = try PoolLauncher(device: bench.device)
        let (oh, ow) = window.outputSize(height: s.h, width: s.w)!
        let outputs = s.planes * oh * ow
        guard backward else {
            let x = bench.floats(s.count).map { precision.rounded($0) }, y = try bench.output(outputs, precision)
            try pooling.encodeAverageForward(into: bench.stream, input: try bench.buffer(x, precision), output: y, batch: s.n, channels: s.c,
                                             height: s.h, width: s.w, window: window, countIncludesPadding: countIncludesPadding,
                                             precision: precision)
            return try bench.compare([(y, PoolOracle.averageForward(x, s, window, countIncludesPadding: countIncludesPadding))], precision)
        }
        let dy = bench.floats(outputs).map { precision.rounded($0) }, dx = try bench.output(s.count, precision)
        try pooling.encodeAverageBackward(into: bench.stream, outputGradient: try bench.buffer(dy, precision), inputGradient: dx, batch: s.n,
                                          channels: s.c, height: s.h, width: s.w, window: window,
                                          countIncludesPadding: countIncludesPadding, precision: precision)
        return try bench.compare([(dx, PoolOracle.averageBackward(dy, s, window, countIncludesPadding: countIncludesPadding))], precision)
    }

    /// Global average pooling forward or backward, in `precision` as ``averagePool(_:_:_:countIncludesPadding:backward:precision:)``.
    static func globalAveragePool(_ bench: SelfTestBench, _ s: NCHWShape, backward: Bool, precision: Precision = .float32) throws -> Double {
        let pooling = try PoolLauncher(device: bench.device)
        guard backward else {
            let x = bench.floats(s.count).map { precision.rounded($0) }, y = try bench.output(s.planes, precision)
            try pooling.encodeGlobalAverageForward(into: bench.stream, input: try bench.buffer(x, precision), output: y,
                                                   batch: s.n, channels: s.c, height: s.h, width: s.w, precision: precision)
            return try bench.compare([(y, PoolOracle.globalAverageForward(x, s))], precision)
        }
        let dy = bench.floats(s.planes).map { precision.rounded($0) }, dx = try bench.output(s.count, precision)
        try pooling.encodeGlobalAverageBackward(into: bench.stream, outputGradient: try bench.buffer(dy, precision), inputGradient: dx,
                                                batch: s.n, channels: s.c, height: s.h, width: s.w, precision: precision)
        return try bench.compare([(dx, PoolOracle.globalAverageBackward(dy, s))], precision)
    }
}
