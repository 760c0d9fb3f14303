import RetortCompute

extension KernelBenchmark {
    /// Element-wise and reduction kernels; throughput counts the bytes each kernel must read and write.
    func elementwiseCases() throws -> [KernelCase] {
        let elementwise = try ElementwiseLauncher(device: device)
        let reduction = try ReduceLauncher(device: device)
        let reluLauncher = try ReLULauncher(device: device)
        let floats = 4.0

        // Bias add: [64, 64, 32, 32] + per-channel [64].
        let shape = [64, 64, 32, 32]
        let count = shape.reduce(1, *)
        let activations = try randomBuffer(count, seed: 1), bias = try randomBuffer(64, seed: 2)
        let sum = try device.makeBuffer(byteCount: count * 4)
        let addChannel = KernelCase(name: "add_channel_64x64x32x32", shape: "64x64x32x32 + 64", unit: .gbps,
                                    work: floats * Double(2 * count + 64)) { stream in
            try elementwise.encodeAdd(into: stream, a: activations, b: bias, output: sum, shape: shape, broadcast: .channel)
        }

        // ReLU forward on 4 Mi floats.
        let reluCount = 4 << 20
        let reluInput = try randomBuffer(reluCount, seed: 3), reluOutput = try device.makeBuffer(byteCount: reluCount * 4)
        let relu = KernelCase(name: "relu_fwd_4m", shape: "\(reluCount)", unit: .gbps, work: floats * Double(2 * reluCount)) { stream in
            try reluLauncher.encodeReLU(into: stream, input: reluInput, output: reluOutput, count: reluCount)
        }

        // The residual sum + ReLU of a basic block in one pass, on 4 Mi floats.
        let shortcut = try randomBuffer(reluCount, seed: 4)
        let reluOfSum = KernelCase(name: "relu_of_sum_fwd_4m", shape: "\(reluCount) + \(reluCount)", unit: .gbps,
                                   work: floats * Double(3 * reluCount)) { stream in
            try reluLauncher.encodeReLUOfSum(into: stream, a: reluInput, b: shortcut, output: reluOutput, count: reluCount)
        }

        // Per-channel sum (bias gradient): [64, 64, 32, 32] -> [64], two dispatches.
        let channelSums = try device.makeBuffer(byteCount: 64 * 4)
        let sumChannel = KernelCase(name: "sum_channel_64x64x32x32", shape: "64x64x32x32 -> 64", unit: .gbps,
                                    work: floats * Double(count + 64)) { stream in
            try reduction.encodeSum(into: stream, input: activations, output: channelSums, shape: shape, keeping: 1)
        }
        return [addChannel, relu, reluOfSum, sumChannel]
    }
}
