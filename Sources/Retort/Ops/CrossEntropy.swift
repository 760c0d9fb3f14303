import RetortCompute

// Cross-entropy, a fused softmax loss: the forward pass also computes the gradient with respect to the
// logits (one kernel per batch); backward scales it by the upstream gradient of the scalar loss.
//   logits: [B, C]; labels: B class indices; loss: [1]

extension Tensor {
    /// Mean cross-entropy of logits `[B, C]` against integer labels, with PyTorch's label smoothing.
    public func crossEntropy(labels: [Int], labelSmoothing: Float = 0) throws -> Tensor {
        if precision.isReduced { return try float32().crossEntropy(labels: labels, labelSmoothing: labelSmoothing) }
        let labelBuffer = try uploadLabels(labels, op: "crossEntropy", minimumClasses: 0,
                                           expected: "[B, C] logits with B = \(labels.count) labels")
        let kernel = try context.launcher(CrossEntropyLauncher.self) { try CrossEntropyLauncher(device: $0) }
        let gradient = try Tensor.empty(shape: shape, context: context)
        let rows = try Tensor.empty(shape: [shape[0]], context: context)
        try kernel.encode(into: context.stream, logits: buffer, labels: labelBuffer, gradient: gradient.buffer, loss: rows.buffer,
                          rows: shape[0], classes: shape[1], labelSmoothing: labelSmoothing, scale: 1 / Float(shape[0]))
        return try Tensor.fusedLoss(rows: rows, gradient: gradient, inputs: [self])
    }

    /// The class labels of this `[B, C]` tensor's rows (at least `minimumClasses` columns, one label
    /// in `0..<C` per row) in device memory as 32-bit integers, or an error naming `op` and, for a
    /// wrong shape, what was `expected`.
    package func uploadLabels(_ labels: [Int], op: String, minimumClasses: Int, expected: String) throws -> Buffer {
        guard shape.count == 2, labels.count == shape[0], shape[1] >= minimumClasses else {
            throw TensorError.invalidShape(op: op, shape: shape, expected: expected)
        }
        if let bad = labels.first(where: { !(0..<shape[1]).contains($0) }) {
            throw TensorError.invalidShape(op: op, shape: shape, expected: "labels in 0..<\(shape[1]), got \(bad)")
        }
        return try context.device.makeBuffer(labels.map(Int32.init))
    }

    /// Sums per-row losses into a scalar whose backward is `upstream · gradient` (the fused softmax losses).
    package static func fusedLoss(rows: Tensor, gradient: Tensor, inputs: [Tensor]) throws -> Tensor {
        let context = rows.context
        let total = try context.noGrad { try rows.sum() }
        return total.recorded(from: inputs) { g in [try gradient.product(g, .scalar)] }
    }
}
