import RetortCompute

extension KernelBenchmark {
    /// Batch norm and pooling kernels, in GB/s of tensor bytes that must be read and written once
    /// (the batch-norm kernels read their inputs a second time, mostly from cache; that is not counted).
    func normalizationCases() throws -> [KernelCase] {
        let floats = 4.0
        let norm = try BatchNormLauncher(device: device)
        let pooling = try PoolLauncher(device: device)

        // Batch norm on [64, 64, 32, 32].
        let (n, c, h, w) = (64, 64, 32, 32)
        let count = n * c * h * w
        let x = try randomBuffer(count, seed: 1), y = try device.makeBuffer(byteCount: count * 4)
        let dy = try randomBuffer(count, seed: 2), dx = try device.makeBuffer(byteCount: count * 4)
        let weight = try device.makeBuffer([Float](repeating: 1, count: c)), bias = try device.makeBuffer([Float](repeating: 0, count: c))
        let runningMean = try device.makeBuffer([Float](repeating: 0, count: c)), runningVariance = try device.makeBuffer([Float](repeating: 1, count: c))
        let savedMean = try device.makeBuffer(byteCount: c * 4), savedInvstd = try device.makeBuffer(byteCount: c * 4)
        let dWeight = try device.makeBuffer(byteCount: c * 4), dBias = try device.makeBuffer(byteCount: c * 4)
        let shape = "\(n)x\(c)x\(h)x\(w)"
        // The plain kernels and the ones with the ReLU fused (`batchnorm_relu_*`: the backward also reads y).
        func forward(relu: Bool) -> KernelCase {
            KernelCase(name: "batchnorm\(relu ? "_relu" : "")_fwd_\(shape)", shape: shape, unit: .gbps,
                       work: Double(2 * count + 6 * c) * floats) { stream in
                try norm.encodeTrainingForward(into: stream, input: x, weight: weight, bias: bias, runningMean: runningMean,
                                               runningVariance: runningVariance, output: y, savedMean: savedMean, savedInvstd: savedInvstd,
                                               batch: n, channels: c, height: h, width: w, relu: relu)
            }
        }
        func backward(relu: Bool) -> KernelCase {
            KernelCase(name: "batchnorm\(relu ? "_relu" : "")_bwd_\(shape)", shape: shape, unit: .gbps,
                       work: Double((relu ? 4 : 3) * count + 5 * c) * floats) { stream in
                try norm.encodeBackward(into: stream, outputGradient: dy, input: x, reluOutput: relu ? y : nil, savedMean: savedMean,
                                        savedInvstd: savedInvstd, weight: weight, inputGradient: dx, weightGradient: dWeight,
                                        biasGradient: dBias, batch: n, channels: c, height: h, width: w)
            }
        }

        // Max pooling 2×2, stride 2 on the same tensor: reads x, writes y and the Int32 indices.
        let window = PoolLauncher.Window(kernel: 2)
        let outputs = count / 4
        let pooled = try device.makeBuffer(byteCount: outputs * 4), indices = try device.makeBuffer(byteCount: outputs * 4)
        let maxPool = KernelCase(name: "maxpool2x2_fwd_\(shape)", shape: shape, unit: .gbps, work: Double(count + 2 * outputs) * floats) { stream in
            try pooling.encodeMaxForward(into: stream, input: x, output: pooled, indices: indices, batch: n, channels: c, height: h, width: w, window: window)
        }

        // Global average pooling on [64, 512, 4, 4].
        let (gn, gc, gh, gw) = (64, 512, 4, 4)
        let features = try randomBuffer(gn * gc * gh * gw, seed: 3), means = try device.makeBuffer(byteCount: gn * gc * 4)
        let globalShape = "\(gn)x\(gc)x\(gh)x\(gw)"
        let globalPool = KernelCase(name: "global_avgpool_fwd_\(globalShape)", shape: globalShape, unit: .gbps,
                                    work: Double(gn * gc * gh * gw + gn * gc) * floats) { stream in
            try pooling.encodeGlobalAverageForward(into: stream, input: features, output: means, batch: gn, channels: gc, height: gh, width: gw)
        }
        return [forward(relu: false), backward(relu: false), forward(relu: true), backward(relu: true), maxPool, globalPool]
    }
}
