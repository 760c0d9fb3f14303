import RetortCompute
import RetortDistributed

// 2-D batch normalization (PyTorch's BatchNorm2d), optionally with the ReLU that follows it fused in,
// forward and backward side by side.
//   x, y: [N, C, H, W]; weight, bias, runningMean, runningVariance: [C]

extension Tensor {
    /// An activation applied by the kernel that produces a result, in the same pass over the data.
    public enum Activation: Sendable, Hashable {
        /// No activation: the op's own result.
        case identity
        /// `max(·, 0)`, as ``Tensor/relu()``.
        case relu
    }

    /// Normalizes each channel. In training mode with batch statistics (and updates the running
    /// statistics in place with `momentum`, unbiased variance); otherwise with the running statistics.
    ///
    /// With `activation: .relu` the result is `batchNorm(…).relu()`, computed in the batch norm's own
    /// pass (and its gradient in the batch norm's backward pass): the same values, half the passes
    /// over the tensor and no intermediate tensor.
    ///
    /// With `synchronizedOver`, training mode normalizes with the statistics of the global batch (the
    /// rows of every rank of the group together, PyTorch's `SyncBatchNorm`), all-reduced in the forward
    /// and backward passes; every rank must run the same batch norms in the same order. Evaluation
    /// mode ignores it.
    ///
    /// Follows the input's precision: a 16-bit `x` gives a 16-bit result and input gradient, with the
    /// statistics, the parameters and their gradients in fp32 (as under PyTorch's autocast). The
    /// synchronized form computes in fp32.
    public func batchNorm(weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor,
                          training: Bool, momentum: Float = 0.1, epsilon: Float = 1e-5,
                          activation: Activation = .identity, synchronizedOver group: (any ProcessGroup)? = nil) throws -> Tensor {
        guard shape.count == 4 else { throw TensorError.invalidShape(op: "batchNorm", shape: shape, expected: "[N, C, H, W]") }
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        for parameter in [weight, bias, runningMean, runningVariance] where parameter.shape != [c] {
            throw TensorError.shapeMismatch(op: "batchNorm", lhs: shape, rhs: parameter.shape)
        }
        if training, group != nil, precision.isReduced {
            return try float32().batchNorm(weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance,
                                           training: training, momentum: momentum, epsilon: epsilon, activation: activation,
                                           synchronizedOver: group)
        }
        let kernel = try context.launcher(BatchNormLauncher.self) { try BatchNormLauncher(device: $0) }
        let y = try Tensor.empty(shape: shape, context: context, precision: precision)
        let relu = activation == .relu
        guard training else {
            try kernel.encodeInferenceForward(into: context.stream, input: buffer, weight: weight.buffer, bias: bias.buffer,
                                              runningMean: runningMean.buffer, runningVariance: runningVariance.buffer, output: y.buffer,
                                              batch: n, channels: c, height: h, width: w, epsilon: epsilon, relu: relu,
                                              precision: precision)
            // Eval-mode batch norm is an affine map per channel with the running statistics (constant
            // in evaluation mode): x̂ = (x − mean)·invstd, invstd = 1/√(var + ε);
            // dx = dy·weight·invstd, dweight = Σ_{n,h,w} dy·x̂, dbias = Σ_{n,h,w} dy (gradients of
            // saliency-style criteria such as PrUE's are taken in evaluation mode).
            return y.recorded(from: [self, weight, bias]) { [self] outputGradient in
                // In fp32 (a 16-bit x and gradient are widened; the tape narrows dx back).
                let g = try (relu ? try outputGradient.reluGradient(output: y) : outputGradient).float32()   // [N, C, H, W]
                let x = try float32()
                let epsilonTensor = try Tensor.full(epsilon, shape: [c], context: g.context)
                let invstd = try runningVariance.binary(.add, epsilonTensor, name: "batchNorm backward").unary(.sqrt).unary(.reciprocal)  // [C]
                let dx = try g.product(try weight.binary(.multiply, invstd, name: "batchNorm backward"), .channel)                   // [N, C, H, W]
                let centered = try Tensor.empty(shape: shape, context: g.context)
                try elementwise.encodeSubtract(into: g.context.stream, a: x.buffer, b: runningMean.buffer, output: centered.buffer,
                                               shape: shape, broadcast: .channel)
                let normalized = try centered.product(invstd, .channel)                                                             // x̂: [N, C, H, W]
                let dWeight = try g.product(normalized, .full).reduced(to: [c], .channel)                                          // [C]
                return [dx, dWeight, try g.reduced(to: [c], .channel)]
            }
        }
        if let group {
            return try synchronizedBatchNorm(weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance,
                                             momentum: momentum, epsilon: epsilon, relu: relu, group: group, kernel: kernel)
        }
        let mean = try Tensor.empty(shape: [c], context: context), invstd = try Tensor.empty(shape: [c], context: context)
        try kernel.encodeTrainingForward(into: context.stream, input: buffer, weight: weight.buffer, bias: bias.buffer,
                                         runningMean: runningMean.buffer, runningVariance: runningVariance.buffer, output: y.buffer,
                                         savedMean: mean.buffer, savedInvstd: invstd.buffer, batch: n, channels: c, height: h, width: w,
                                         epsilon: epsilon, momentum: momentum, relu: relu, precision: precision)
        return y.recorded(from: [self, weight, bias]) { [self] outputGradient in
            let g = try outputGradient.cast(to: precision)
            let dx = try Tensor.empty(shape: g.shape, context: g.context, precision: precision)
            let dWeight = try Tensor.empty(shape: [c], context: g.context), dBias = try Tensor.empty(shape: [c], context: g.context)
            try kernel.encodeBackward(into: g.context.stream, outputGradient: g.buffer, input: buffer, reluOutput: relu ? y.buffer : nil,
                                      savedMean: mean.buffer,
                                      savedInvstd: invstd.buffer, weight: weight.buffer, inputGradient: dx.buffer,
                                      weightGradient: dWeight.buffer, biasGradient: dBias.buffer, batch: n, channels: c, height: h,
                                      width: w, precision: precision)
            return [dx, dWeight, dBias]
        }
    }
}
