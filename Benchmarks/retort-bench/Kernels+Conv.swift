import RetortCompute

extension KernelBenchmark {
    /// Conv2d kernels: the 3×3 64→64 layer of a CIFAR ResNet at batch 64 (forward, backward data,
    /// backward filter) and the 3→32 first layer (forward). FLOP = 2·N·K·OH·OW·C·KH·KW per pass.
    func convCases() throws -> [KernelCase] {
        let wide = Conv2dLauncher.Parameters(batch: 64, inChannels: 64, outChannels: 64, height: 32, width: 32, kernelSize: 3, padding: 1)
        let first = Conv2dLauncher.Parameters(batch: 64, inChannels: 3, outChannels: 32, height: 32, width: 32, kernelSize: 3, padding: 1)
        // A 1×1 projection (the GEMM path) and the strided 1×1 shortcut of a ResNet stage (conv kernels).
        let pointwise = Conv2dLauncher.Parameters(batch: 64, inChannels: 64, outChannels: 128, height: 32, width: 32, kernelSize: 1, bias: false)
        let shortcut = Conv2dLauncher.Parameters(batch: 64, inChannels: 64, outChannels: 128, height: 32, width: 32, kernelSize: 1, stride: 2,
                                         bias: false)
        let all: [ConvPass] = [.forward, .backwardData, .backwardFilter]
        return try convCases(wide, name: "conv3x3_64", passes: all)
            + convCases(first, name: "conv3x3_3to32", passes: [.forward])
            + convCases(pointwise, name: "conv1x1_64to128", passes: all)
            + convCases(shortcut, name: "conv1x1s2_64to128", passes: [.forward])
    }

    private enum ConvPass: String { case forward = "fwd", backwardData = "bwd_data", backwardFilter = "bwd_filter" }

    private func convCases(_ prm: Conv2dLauncher.Parameters, name: String, passes: [ConvPass]) throws -> [KernelCase] {
        let conv = try Conv2dLauncher(device: device, parameters: prm)
        let count = { (shape: [Int]) in shape.reduce(1, *) }
        let x = try randomBuffer(count(prm.inputShape), seed: 1)
        let w = try randomBuffer(count(prm.weightShape), seed: 2)
        let b = prm.hasBias ? try randomBuffer(prm.outChannels, seed: 3) : nil
        let y = try randomBuffer(count(prm.outputShape), seed: 4)
        let dx = try device.makeBuffer(byteCount: count(prm.inputShape) * 4)
        let dw = try device.makeBuffer(byteCount: count(prm.weightShape) * 4)
        let db = prm.hasBias ? try device.makeBuffer(byteCount: prm.outChannels * 4) : nil
        let workspace = conv.backwardFilterWorkspaceByteCount > 0 ? try device.makeBuffer(byteCount: conv.backwardFilterWorkspaceByteCount) : nil
        let shape = "\(prm.inputShape.map(String.init).joined(separator: "x"))→\(prm.outChannels) k\(prm.kernelHeight)"
        return passes.map { pass in
            KernelCase(name: "\(name)_\(pass.rawValue)", shape: shape, unit: .gflops, work: prm.flopCount) { stream in
                switch pass {
                case .forward: try conv.encodeForward(into: stream, input: x, weight: w, bias: b, output: y)
                case .backwardData: try conv.encodeBackwardData(into: stream, outputGradient: y, weight: w, inputGradient: dx)
                case .backwardFilter:
                    try conv.encodeBackwardFilter(into: stream, input: x, outputGradient: y, weightGradient: dw, biasGradient: db,
                                                  workspace: workspace)
                }
            }
        }
    }
}
