import Retort
import RetortCompute
import RetortNN

extension KernelBenchmark {
    /// Bytes per float.
    private var floats: Double { 4 }

    /// Optimizer updates over a ResNet-18-sized parameter buffer; throughput counts the bytes each
    /// update must read and write.
    func optimizerCases() throws -> [KernelCase] {
        let count = 11_000_000
        let parameters = try randomBuffer(count, seed: 11), gradients = try randomBuffer(count, seed: 12)

        let sgd = try SGDLauncher(device: device)
        let momentum = try randomBuffer(count, seed: 13)
        let sgdOptions = SGDLauncher.Options(learningRate: 1e-3, momentum: 0.9, weightDecay: 5e-4)
        // Reads parameters, gradients, momentum; writes parameters, momentum.
        let sgdCase = KernelCase(name: "sgd_momentum_11m", shape: "\(count)", unit: .gbps, work: floats * Double(5 * count)) { stream in
            try sgd.encodeStep(into: stream, parameters: parameters, gradients: gradients, momentumBuffer: momentum, count: count,
                               options: sgdOptions, firstStep: false)
        }

        let adamW = try AdamWLauncher(device: device)
        let firstMoment = try device.makeBuffer(byteCount: count * 4), secondMoment = try device.makeBuffer(byteCount: count * 4)
        let zeros = [Float](repeating: 0, count: count)
        try firstMoment.write(zeros)
        try secondMoment.write(zeros)
        let adamOptions = AdamWLauncher.Options(learningRate: 1e-3)
        // Reads parameters, gradients, both moments; writes parameters and both moments.
        let adamCase = KernelCase(name: "adamw_11m", shape: "\(count)", unit: .gbps, work: floats * Double(7 * count)) { stream in
            try adamW.encodeStep(into: stream, parameters: parameters, gradients: gradients, firstMoment: firstMoment,
                                 secondMoment: secondMoment, count: count, step: 10, options: adamOptions)
        }
        return [sgdCase, adamCase] + (try groupCases())
    }

    /// One SGD (momentum, weight decay) and one AdamW step over the parameter tensors of resnet8x4, as
    /// its training step records them: one dispatch per tensor, then one multi-tensor dispatch per
    /// 10 (SGD) or 8 (AdamW) tensors. Their wall times (submit and wait) include the per-dispatch cost.
    private func groupCases() throws -> [KernelCase] {
        let context = try Context(device: device)
        let counts = try ModelZoo.make("resnet8x4", classes: 100, context: context).parameters().map(\.count)
        let total = counts.reduce(0, +)
        let tensors = try counts.enumerated().map { index, count in
            try (0..<4).map { try randomBuffer(count, seed: UInt64(100 + 4 * index + $0)) }  // parameters, gradients, two states
        }
        let sgd = try SGDMultiTensorLauncher(device: device), adamW = try AdamWMultiTensorLauncher(device: device)
        let sgdOptions = SGDLauncher.Options(learningRate: 1e-3, momentum: 0.9, weightDecay: 5e-4)
        let adamOptions = AdamWLauncher.Options(learningRate: 1e-3)
        let sgdOperands = zip(tensors, counts).map {
            SGDMultiTensorLauncher.Operand(parameters: $0[0], gradients: $0[1], momentumBuffer: $0[2], count: $1, firstStep: false)
        }
        let adamOperands = zip(tensors, counts).map {
            AdamWMultiTensorLauncher.Operand(parameters: $0[0], gradients: $0[1], firstMoment: $0[2], secondMoment: $0[3], count: $1,
                                             step: 10)
        }
        let shape = "\(counts.count) tensors, \(total)"
        return [
            KernelCase(name: "sgd_resnet8x4_per_tensor", shape: shape, unit: .gbps, work: floats * Double(5 * total)) { stream in
                for operand in sgdOperands {
                    try sgd.single.encodeStep(into: stream, parameters: operand.parameters, gradients: operand.gradients,
                                              momentumBuffer: operand.momentumBuffer, count: operand.count, options: sgdOptions,
                                              firstStep: false)
                }
            },
            KernelCase(name: "sgd_resnet8x4_multi_tensor", shape: shape, unit: .gbps, work: floats * Double(5 * total)) { stream in
                try sgd.encodeStep(into: stream, operands: sgdOperands, options: sgdOptions)
            },
            KernelCase(name: "adamw_resnet8x4_per_tensor", shape: shape, unit: .gbps, work: floats * Double(7 * total)) { stream in
                for operand in adamOperands {
                    try adamW.single.encodeStep(into: stream, parameters: operand.parameters, gradients: operand.gradients,
                                                firstMoment: operand.firstMoment, secondMoment: operand.secondMoment, count: operand.count,
                                                step: operand.step, options: adamOptions)
                }
            },
            KernelCase(name: "adamw_resnet8x4_multi_tensor", shape: shape, unit: .gbps, work: floats * Double(7 * total)) { stream in
                try adamW.encodeStep(into: stream, operands: adamOperands, options: adamOptions)
            },
        ]
    }
}
