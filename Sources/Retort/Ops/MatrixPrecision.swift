import RetortCompute

// The precision of the matrix ops (convolution, linear, matmul) under mixed precision.
//   operands: x, weight, bias (any precisions) → all cast to one precision p; y and the gradients in p

extension Tensor {
    /// The precision a matrix op computes in: ``Context/autocastPrecision`` inside
    /// ``Context/autocast(_:_:)`` (PyTorch's autocast casts a convolution's or linear layer's operands to
    /// its dtype), else its operands' common precision, fp32 when they differ.
    static func matrixPrecision(of operands: [Tensor]) -> Precision {
        if let context = operands.first?.context, context.autocastPrecision.isReduced { return context.autocastPrecision }
        let precisions = Set(operands.map(\.precision))
        return precisions.count == 1 ? precisions.first! : .float32
    }
}
