import RetortCompute
import RetortOracle

/// The optimizer cases: SGD and AdamW, one tensor at a time and several per dispatch, over three steps.
extension SelfTestCatalog {
    /// Parameter counts: odd (the scalar kernel), multiples of 4 (the vector kernel), and one past 65,536.
    private static let parameterCounts = [7, 4096, 65_537]

    private static let sgdSettings: [(String, SGDLauncher.Options)] = [
        ("plain", SGDLauncher.Options(learningRate: 0.1)),
        ("momentum 0.9 wd 5e-4", SGDLauncher.Options(learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4)),
        ("momentum dampening 0.1", SGDLauncher.Options(learningRate: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-4)),
        ("nesterov", SGDLauncher.Options(learningRate: 0.05, momentum: 0.9, weightDecay: 1e-4, nesterov: true)),
    ]

    private static let adamWSettings = AdamWLauncher.Options(learningRate: 1e-2, weightDecay: 1e-2)

    /// SGD (plain, momentum, dampening, Nesterov) and AdamW, single- and multi-tensor.
    static func optimizerCases() -> [SelfTestCase] {
        var cases: [SelfTestCase] = []
        for (label, options) in sgdSettings {
            for count in parameterCounts {
                cases.append(SelfTestCase(family: "optimizer", name: "SGD \(label) \(count) ×3", direction: .step,
                                          tolerance: 1e-4) { bench in
                    try sgd(bench, counts: [count], options: options, multiTensor: false)
                })
            }
            cases.append(SelfTestCase(family: "optimizer", name: "SGD multi-tensor \(label) \(parameterCounts) ×3", direction: .step,
                                      tolerance: 1e-4) { bench in
                try sgd(bench, counts: parameterCounts + [1, 12], options: options, multiTensor: true)
            })
        }
        for count in parameterCounts {
            cases.append(SelfTestCase(family: "optimizer", name: "AdamW \(count) ×3", direction: .step, tolerance: 1e-4) { bench in
                try adamW(bench, counts: [count], multiTensor: false)
            })
        }
        cases.append(SelfTestCase(family: "optimizer", name: "AdamW multi-tensor \(parameterCounts) ×3", direction: .step,
                                  tolerance: 1e-4) { bench in
            try adamW(bench, counts: parameterCounts + [1, 12], multiTensor: true)
        })
        return cases
    }

    /// Three SGD steps of tensors of `counts`; the worst error of the parameters and momentum buffers.
    private static func sgd(_ bench: SelfTestBench, counts: [Int], options: SGDLauncher.Options, multiTensor: Bool) throws -> Double {
        let initial = counts.map { bench.floats($0) }
        var expected = initial.map { $0.map(Double.init) }, expectedBuffers = [[Double]?](repeating: nil, count: counts.count)
        let parameters = try initial.map { try bench.buffer($0) }
        let gradients = try counts.map { try bench.device.makeBuffer(byteCount: $0 * 4) }
        let momentum = try counts.map { try bench.output($0) }  // the first step must overwrite it
        var worst = 0.0
        for step in 1...3 {
            let g = counts.map { bench.floats($0, in: -2...2) }
            for (buffer, values) in zip(gradients, g) { try buffer.write(values) }
            if multiTensor {
                let operands = counts.indices.map {
                    SGDMultiTensorLauncher.Operand(parameters: parameters[$0], gradients: gradients[$0], momentumBuffer: momentum[$0],
                                                   count: counts[$0], firstStep: step == 1)
                }
                try SGDMultiTensorLauncher(device: bench.device).encodeStep(into: bench.stream, operands: operands, options: options)
            } else {
                try SGDLauncher(device: bench.device).encodeStep(into: bench.stream, parameters: parameters[0], gradients: gradients[0],
                                                                 momentumBuffer: momentum[0], count: counts[0], options: options,
                                                                 firstStep: step == 1)
            }
            for index in counts.indices {
                OptimizerOracle.sgd(parameters: &expected[index], gradients: g[index].map(Double.init), buffer: &expectedBuffers[index],
                                    options: options)
            }
            let buffers = zip(momentum, expectedBuffers).compactMap { buffer, values in values.map { (buffer, $0) } }
            worst = max(worst, try bench.compare(Array(zip(parameters, expected)) + buffers))
        }
        return worst
    }

    /// Three AdamW steps of tensors of `counts`; the worst error of the parameters and both moments.
    private static func adamW(_ bench: SelfTestBench, counts: [Int], multiTensor: Bool) throws -> Double {
        let initial = counts.map { bench.floats($0) }
        var expected = initial.map { $0.map(Double.init) }
        var m = counts.map { [Double](repeating: 0, count: $0) }, v = m
        let parameters = try initial.map { try bench.buffer($0) }
        let gradients = try counts.map { try bench.device.makeBuffer(byteCount: $0 * 4) }
        let firstMoments = try counts.map { try bench.buffer([Float](repeating: 0, count: $0)) }
        let secondMoments = try counts.map { try bench.buffer([Float](repeating: 0, count: $0)) }
        var worst = 0.0
        for step in 1...3 {
            let g = counts.map { bench.floats($0, in: -2...2) }
            for (buffer, values) in zip(gradients, g) { try buffer.write(values) }
            let operands = counts.indices.map {
                AdamWMultiTensorLauncher.Operand(parameters: parameters[$0], gradients: gradients[$0], firstMoment: firstMoments[$0],
                                                 secondMoment: secondMoments[$0], count: counts[$0], step: step)
            }
            if multiTensor {
                try AdamWMultiTensorLauncher(device: bench.device).encodeStep(into: bench.stream, operands: operands,
                                                                              options: adamWSettings)
            } else {
                let operand = operands[0]
                try AdamWLauncher(device: bench.device).encodeStep(into: bench.stream, parameters: operand.parameters,
                                                                   gradients: operand.gradients, firstMoment: operand.firstMoment,
                                                                   secondMoment: operand.secondMoment, count: operand.count, step: step,
                                                                   options: adamWSettings)
            }
            for index in counts.indices {
                OptimizerOracle.adamW(parameters: &expected[index], gradients: g[index].map(Double.init), m: &m[index], v: &v[index],
                                      step: step, options: adamWSettings)
            }
            worst = max(worst, try bench.compare(Array(zip(parameters, expected)) + Array(zip(firstMoments,
                                                                                              m)) + Array(zip(secondMoments, v))))
        }
        return worst
    }
}
