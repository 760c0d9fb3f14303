import RetortCompute

// Softmax and log-softmax over the rows of a matrix, with temperature, and their backward.
//   x, y: [B, C];  y = softmax(x/T) or log_softmax(x/T)

extension Tensor {
    /// `softmax(x / T)` over each row of a `[B, C]` tensor.
    public func softmax(temperature: Float = 1) throws -> Tensor {
        try rowSoftmax(temperature: temperature, variant: .softmax)
    }

    /// `log_softmax(x / T)` over each row of a `[B, C]` tensor.
    public func logSoftmax(temperature: Float = 1) throws -> Tensor {
        try rowSoftmax(temperature: temperature, variant: .logSoftmax)
    }

    private func rowSoftmax(temperature: Float, variant: SoftmaxLauncher.Variant) throws -> Tensor {
        if precision.isReduced { return try float32().rowSoftmax(temperature: temperature, variant: variant) }
        guard shape.count == 2 else {
            throw TensorError.invalidShape(op: variant == .softmax ? "softmax" : "logSoftmax", shape: shape, expected: "[B, C]")
        }
        let kernel = try context.launcher(SoftmaxLauncher.self) { try SoftmaxLauncher(device: $0) }
        let (rows, columns) = (shape[0], shape[1])
        let y = try Tensor.empty(shape: shape, context: context)
        try kernel.encode(into: context.stream, input: buffer, output: y.buffer, rows: rows, columns: columns,
                          temperature: temperature, variant: variant)
        return y.recorded(from: [self]) { g in
            let dx = try Tensor.empty(shape: g.shape, context: g.context)
            try kernel.encodeBackward(into: g.context.stream, output: y.buffer, outputGradient: g.buffer, inputGradient: dx.buffer,
                                      rows: rows, columns: columns, temperature: temperature, variant: variant)
            return [dx]
        }
    }
}
