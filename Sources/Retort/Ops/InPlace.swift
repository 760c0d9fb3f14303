import RetortCompute

// In-place element-wise updates outside the tape (optimizer-side work between steps).
//   x: [any shape]; y: the same shape.

extension Tensor {
    /// In place: `x ← x ⊙ y` for a `y` of the same shape, on the device and not recorded (like
    /// PyTorch's `x.mul_(y)` under `torch.no_grad()`). For holding pruning masks on parameters and
    /// their gradients between steps; do not use it on a tensor a recorded op still needs for its
    /// backward.
    public func multiplyInPlace(by other: Tensor) throws {
        try checkUpdateOperands([other], op: "mul_")
        guard count > 0 else { return }
        try elementwise.encodeMultiply(into: context.stream, a: buffer, b: other.buffer, output: buffer, shape: shape)
    }

    /// Checks that the tensors an in-place update of this tensor reads (or updates beside it) belong
    /// to its context and have its shape.
    func checkUpdateOperands(_ operands: [Tensor], op: String) throws {
        for operand in operands {
            guard operand.context === context else { throw TensorError.contextMismatch(op: op) }
            guard operand.shape == shape else { throw TensorError.shapeMismatch(op: op, lhs: shape, rhs: operand.shape) }
        }
    }
}
