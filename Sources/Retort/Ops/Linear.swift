import RetortCompute

// Fully connected layer (PyTorch's F.linear), forward and backward side by side.
//   x: [B, in], weight: [out, in], bias: [out] → y: [B, out] = x · weightᵀ + bias
//   dx = dy · weight,  dweight = dyᵀ · x,  dbias = Σ_B dy
//   all in one precision: fp16/bf16 under autocast (the operands are cast to it), else fp32

extension Tensor {
    /// `x · weightᵀ + bias` for a batch of row vectors.
    ///
    /// Inside ``Context/autocast(_:_:)`` with fp16 or bf16, the input, weight and bias are cast to that
    /// precision, and the result and the gradients are 16-bit (fp32 sums; the bias gradient is summed in fp32).
    public func linear(weight: Tensor, bias: Tensor?) throws -> Tensor {
        guard context === weight.context else { throw TensorError.contextMismatch(op: "linear") }
        let precision = Tensor.matrixPrecision(of: [self, weight] + (bias.map { [$0] } ?? []))
        if [self, weight, bias].contains(where: { $0.map { $0.precision != precision } ?? false }) {
            return try cast(to: precision).linear(weight: weight.cast(to: precision), bias: bias?.cast(to: precision))
        }
        guard shape.count == 2, weight.shape.count == 2, weight.shape[1] == shape[1] else {
            throw TensorError.shapeMismatch(op: "linear", lhs: shape, rhs: weight.shape)
        }
        let (batch, inputs, outputs) = (shape[0], shape[1], weight.shape[0])
        if let bias, bias.shape != [outputs] { throw TensorError.shapeMismatch(op: "linear", lhs: weight.shape, rhs: bias.shape) }
        let gemm = try context.launcher(MatMulLauncher.self) { try MatMulLauncher(device: $0) }
        let y = try Tensor.empty(shape: [batch, outputs], context: context, precision: precision)
        try gemm.encode(into: context.stream, a: buffer, b: weight.buffer, c: y.buffer,
                        shape: .init(m: batch, n: outputs, k: inputs, transposeB: true), bias: bias.map { .perColumn($0.buffer) } ?? .none,
                        precision: precision)
        context.countFLOPs(2 * Double(batch * inputs * outputs))
        let inputs_ = [self, weight] + (bias.map { [$0] } ?? [])
        return y.recorded(from: inputs_) { [self] outputGradient in
            let g = try outputGradient.cast(to: precision)
            let dx = try Tensor.gemm(g, weight, m: batch, n: inputs, k: outputs)
            let dWeight = try Tensor.gemm(g, self, m: outputs, n: inputs, k: batch, transposeA: true)
            guard bias != nil else { return [dx, dWeight] }
            let reduction = try g.context.launcher(ReduceLauncher.self) { try ReduceLauncher(device: $0) }
            let dBias = try Tensor.empty(shape: [outputs], context: g.context)
            try reduction.encodeSum(into: g.context.stream, input: g.float32().buffer, output: dBias.buffer, shape: [batch, outputs],
                                    keeping: 1)
            return [dx, dWeight, dBias]
        }
    }
}
