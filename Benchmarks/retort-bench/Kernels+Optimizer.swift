import RetortCompute

extension KernelBenchmark {
    /// Optimizer updates over a ResNet-18-sized parameter buffer; throughput counts the bytes each
    /// update must read and write.
    func optimizerCases() throws -> [KernelCase] {
        let count = 11_000_000
        let floats = 4.0
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
        return [sgdCase, adamCase]
    }
}
