import RetortCompute

// Fused softmax losses: the forward pass also computes the gradient with respect to the logits
// (one kernel per batch); backward scales it by the upstream gradient of the scalar loss.
//   logits, teacher: [B, C]; labels: B class indices; loss: [1]

extension Tensor {
    /// Mean cross-entropy of logits `[B, C]` against integer labels, with PyTorch's label smoothing.
    public func crossEntropy(labels: [Int], labelSmoothing: Float = 0) throws -> Tensor {
        guard shape.count == 2, labels.count == shape[0] else {
            throw TensorError.invalidShape(op: "crossEntropy", shape: shape, expected: "[B, C] logits with B = \(labels.count) labels")
        }
        let classes = shape[1]
        if let bad = labels.first(where: { !(0..<classes).contains($0) }) {
            throw TensorError.invalidShape(op: "crossEntropy", shape: shape, expected: "labels in 0..<\(classes), got \(bad)")
        }
        let kernel = try context.launcher(CrossEntropyLauncher.self) { try CrossEntropyLauncher(device: $0) }
        let labelBuffer = try context.device.makeBuffer(labels.map(Int32.init))
        let gradient = try Tensor.empty(shape: shape, context: context)
        let rows = try Tensor.empty(shape: [shape[0]], context: context)
        try kernel.encode(into: context.stream, logits: buffer, labels: labelBuffer, gradient: gradient.buffer, loss: rows.buffer,
                          rows: shape[0], classes: classes, labelSmoothing: labelSmoothing, scale: 1 / Float(shape[0]))
        return try Tensor.fusedLoss(rows: rows, gradient: gradient, inputs: [self])
    }

    /// `scale · Σ_rows KL(softmax(teacher/T) ‖ softmax(self/T))` (or the reverse KL), where the caller
    /// folds the reduction (1/B for batchmean), T² and the loss weight into `scale`. The teacher gets
    /// no gradient.
    public func klDivergence(teacher: Tensor, temperature: Float, scale: Float, reverse: Bool = false) throws -> Tensor {
        guard context === teacher.context else { throw TensorError.contextMismatch(op: "klDivergence") }
        guard shape.count == 2, teacher.shape == shape else { throw TensorError.shapeMismatch(op: "klDivergence", lhs: shape, rhs: teacher.shape) }
        let kernel = try context.launcher(SoftmaxKLLauncher.self) { try SoftmaxKLLauncher(device: $0) }
        let gradient = try Tensor.empty(shape: shape, context: context)
        let rows = try Tensor.empty(shape: [shape[0]], context: context)
        try kernel.encode(into: context.stream, student: buffer, teacher: teacher.buffer, studentGradient: gradient.buffer, loss: rows.buffer,
                          rows: shape[0], classes: shape[1], temperature: temperature, scale: scale, direction: reverse ? .reverse : .forward)
        return try Tensor.fusedLoss(rows: rows, gradient: gradient, inputs: [self])
    }

    /// Sums per-row losses into a scalar whose backward is `upstream · gradient`.
    private static func fusedLoss(rows: Tensor, gradient: Tensor, inputs: [Tensor]) throws -> Tensor {
        let context = rows.context
        let total = try context.noGrad { try rows.sum() }
        return total.recorded(from: inputs) { g in [try gradient.product(g, .scalar)] }
    }
}
