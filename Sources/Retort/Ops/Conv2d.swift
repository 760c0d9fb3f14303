import RetortCompute

// 2-D convolution (PyTorch's F.conv2d), forward and backward side by side.
//   x: [N, C, H, W], weight: [K, C / groups, KH, KW], bias: [K] → y: [N, K, OH, OW]
//   dx: backward data; dweight, dbias: backward filter (sums over N·OH·OW in a fixed order)
//   all in one precision: fp16/bf16 under autocast (the operands are cast to it), else fp32

extension Tensor {
    /// Convolves with `weight` (zero padding, stride, dilation, groups; optional bias).
    ///
    /// Inside ``Context/autocast(_:_:)`` with fp16 or bf16, the input, weight and bias are cast to that
    /// precision (the casts' backward takes the weight's and bias's gradients back to their fp32), and the
    /// result and every gradient are 16-bit; the sums are fp32.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
                       groups: Int = 1) throws -> Tensor {
        guard context === weight.context, bias.map({ $0.context === context }) ?? true else { throw TensorError.contextMismatch(op: "conv2d") }
        let precision = Tensor.matrixPrecision(of: [self, weight] + (bias.map { [$0] } ?? []))
        if [self, weight, bias].contains(where: { $0.map { $0.precision != precision } ?? false }) {
            return try cast(to: precision).conv2d(weight: weight.cast(to: precision), bias: bias?.cast(to: precision), stride: stride,
                                                  padding: padding, dilation: dilation, groups: groups)
        }
        let (n, c, h, w) = try imageShape("conv2d")
        guard weight.shape.count == 4, groups > 0, c % groups == 0, weight.shape[0] % groups == 0, weight.shape[1] * groups == c else {
            throw TensorError.shapeMismatch(op: "conv2d (groups \(groups))", lhs: shape, rhs: weight.shape)
        }
        let outChannels = weight.shape[0]
        if let bias, bias.shape != [outChannels] { throw TensorError.shapeMismatch(op: "conv2d bias", lhs: weight.shape, rhs: bias.shape) }
        let parameters = Conv2dLauncher.Parameters(batch: n, inChannels: c, outChannels: outChannels, height: h, width: w,
                                           kernelHeight: weight.shape[2], kernelWidth: weight.shape[3], strideHeight: stride,
                                           strideWidth: stride, paddingHeight: padding, paddingWidth: padding,
                                           dilationHeight: dilation, dilationWidth: dilation, groups: groups, bias: bias != nil,
                                           precision: precision)
        do { try parameters.validate() } catch {
            throw TensorError.invalidShape(op: "conv2d", shape: shape, expected: "\(error)")
        }
        let conv = try context.launcher(Conv2dLauncher.self, key: parameters) { try Conv2dLauncher(device: $0, parameters: parameters) }
        let y = try Tensor.empty(shape: parameters.outputShape, context: context, precision: precision)
        try conv.encodeForward(into: context.stream, input: buffer, weight: weight.buffer, bias: bias?.buffer, output: y.buffer,
                               scratch: context.workspace, inference: !context.isRecordingGradients)
        context.countFLOPs(parameters.flopCount)
        let inputs = [self, weight] + (bias.map { [$0] } ?? [])
        return y.recorded(from: inputs) { [self] outputGradient in
            let g = try outputGradient.cast(to: precision)
            let dx = try Tensor.empty(shape: shape, context: g.context, precision: precision)
            try conv.encodeBackwardData(into: g.context.stream, outputGradient: g.buffer, weight: weight.buffer, inputGradient: dx.buffer,
                                        scratch: g.context.workspace)
            let dWeight = try Tensor.empty(shape: weight.shape, context: g.context, precision: precision)
            let dBias = try bias.map { _ in try Tensor.empty(shape: [outChannels], context: g.context, precision: precision) }
            try conv.encodeBackwardFilter(into: g.context.stream, input: buffer, outputGradient: g.buffer, weightGradient: dWeight.buffer,
                                          biasGradient: dBias?.buffer, scratch: g.context.workspace)
            return [dx, dWeight] + (dBias.map { [$0] } ?? [])
        }
    }
}
