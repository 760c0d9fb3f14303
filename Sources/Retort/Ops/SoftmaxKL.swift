import RetortCompute

// Softmax KL divergence between a student's and a teacher's logits, a fused softmax loss: the forward
// pass also computes the gradient with respect to the student's logits (one kernel per batch);
// backward scales it by the upstream gradient of the scalar loss.
//   logits, teacher: [B, C]; loss: [1]

extension Tensor {
    /// `scale · Σ_rows KL(softmax(teacher/T) ‖ softmax(self/T))` (or the reverse KL), where the caller
    /// folds the reduction (1/B for batchmean), T² and the loss weight into `scale`. The teacher gets
    /// no gradient.
    public func klDivergence(teacher: Tensor, temperature: Float, scale: Float, reverse: Bool = false) throws -> Tensor {
        if let (a, b) = try fp32Operands(teacher) { return try a.klDivergence(teacher: b, temperature: temperature, scale: scale, reverse: reverse) }
        guard context === teacher.context else { throw TensorError.contextMismatch(op: "klDivergence") }
        guard shape.count == 2, teacher.shape == shape else { throw TensorError.shapeMismatch(op: "klDivergence", lhs: shape, rhs: teacher.shape) }
        let kernel = try context.launcher(SoftmaxKLLauncher.self) { try SoftmaxKLLauncher(device: $0) }
        let gradient = try Tensor.empty(shape: shape, context: context)
        let rows = try Tensor.empty(shape: [shape[0]], context: context)
        try kernel.encode(into: context.stream, student: buffer, teacher: teacher.buffer, studentGradient: gradient.buffer, loss: rows.buffer,
                          rows: shape[0], classes: shape[1], temperature: temperature, scale: scale, direction: reverse ? .reverse : .forward)
        return try Tensor.fusedLoss(rows: rows, gradient: gradient, inputs: [self])
    }
}
