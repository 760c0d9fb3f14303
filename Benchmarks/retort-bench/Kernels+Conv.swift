import RetortCompute

extension KernelBenchmark {
    /// Conv2d kernels at batch 64. FLOP = 2·N·K·OH·OW·C·KH·KW per pass for every algorithm, so a
    /// Winograd case's GFLOP/s is its effective rate (direct-convolution FLOPs over its time).
    ///
    /// - `conv3x3_64_*`: the 3×3 64→64 layer of a CIFAR ResNet at 32×32 with the algorithm the launcher
    ///   picks (the case the peers also run), forward, backward data, backward filter.
    /// - `conv3x3_<C>at<S>_<pass>_{direct,winograd}`: the zoo's 3×3 shapes (16–256 channels at 32×32,
    ///   16×16 and 8×8) under both algorithms side by side.
    /// - the 3→32 first layer, a 1×1 projection (the GEMM path on GPUs) and the strided 1×1 shortcut.
    func convCases() throws -> [KernelCase] {
        func conv3x3(_ channels: Int, _ size: Int, inChannels: Int? = nil) -> Conv2dLauncher.Parameters {
            .init(batch: 64, inChannels: inChannels ?? channels, outChannels: channels, height: size, width: size, kernelSize: 3, padding: 1)
        }
        let pointwise = Conv2dLauncher.Parameters(batch: 64, inChannels: 64, outChannels: 128, height: 32, width: 32, kernelSize: 1, bias: false)
        let shortcut = Conv2dLauncher.Parameters(batch: 64, inChannels: 64, outChannels: 128, height: 32, width: 32, kernelSize: 1, stride: 2,
                                                 bias: false)
        let all: [ConvPass] = [.forward, .backwardData, .backwardFilter]
        var cases = try convCases(conv3x3(64, 32), name: "conv3x3_64", passes: all)
            + convCases(conv3x3(32, 32, inChannels: 3), name: "conv3x3_3to32", passes: [.forward])
        for (channels, size) in [(16, 32), (32, 32), (64, 32), (64, 16), (128, 16), (128, 8), (256, 8)] {
            for algorithm in Conv2dLauncher.Algorithm.allCases {
                cases += try convCases(conv3x3(channels, size), name: "conv3x3_\(channels)at\(size)", passes: all, algorithm: algorithm)
            }
        }
        return try cases + convCases(pointwise, name: "conv1x1_64to128", passes: all)
            + convCases(shortcut, name: "conv1x1s2_64to128", passes: [.forward])
    }

    private enum ConvPass: String { case forward = "fwd", backwardData = "bwd_data", backwardFilter = "bwd_filter" }

    private func convCases(_ prm: Conv2dLauncher.Parameters, name: String, passes: [ConvPass],
                           algorithm: Conv2dLauncher.Algorithm? = nil) throws -> [KernelCase] {
        let conv = try Conv2dLauncher(device: device, parameters: prm, algorithm: algorithm)
        let count = { (shape: [Int]) in shape.reduce(1, *) }
        let x = try randomBuffer(count(prm.inputShape), seed: 1)
        let w = try randomBuffer(count(prm.weightShape), seed: 2)
        let b = prm.hasBias ? try randomBuffer(prm.outChannels, seed: 3) : nil
        let y = try randomBuffer(count(prm.outputShape), seed: 4)
        let dx = try device.makeBuffer(byteCount: count(prm.inputShape) * 4)
        let dw = try device.makeBuffer(byteCount: count(prm.weightShape) * 4)
        let db = prm.hasBias ? try device.makeBuffer(byteCount: prm.outChannels * 4) : nil
        let workspace = conv.backwardFilterWorkspaceByteCount > 0 ? try device.makeBuffer(byteCount: conv.backwardFilterWorkspaceByteCount) : nil
        let scratch = Workspace(device: device)
        let shape = "\(prm.inputShape.map(String.init).joined(separator: "x"))→\(prm.outChannels) k\(prm.kernelHeight)"
        let suffix = algorithm.map { "_\($0.rawValue)" } ?? ""
        return passes.map { pass in
            KernelCase(name: "\(name)_\(pass.rawValue)\(suffix)", shape: shape, unit: .gflops, work: prm.flopCount) { stream in
                switch pass {
                case .forward: try conv.encodeForward(into: stream, input: x, weight: w, bias: b, output: y, scratch: scratch)
                case .backwardData:
                    try conv.encodeBackwardData(into: stream, outputGradient: y, weight: w, inputGradient: dx, scratch: scratch)
                case .backwardFilter:
                    try conv.encodeBackwardFilter(into: stream, input: x, outputGradient: y, weightGradient: dw, biasGradient: db,
                                                  workspace: workspace, scratch: scratch)
                }
            }
        }
    }
}
