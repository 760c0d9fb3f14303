import RetortCompute

// In-place element-wise updates outside the tape (optimizer-side work between steps).
//   x: [any shape]; y: the same shape.

extension Tensor {
    /// In place: `x ← x ⊙ y` for a `y` of the same shape, on the device and not recorded (like
    /// PyTorch's `x.mul_(y)` under `torch.no_grad()`). For holding pruning masks on parameters and
    /// their gradients between steps; do not use it on a tensor a recorded op still needs for its
    /// backward.
    public func multiplyInPlace(by other: Tensor) throws {
        guard context === other.context else { throw TensorError.contextMismatch(op: "mul_") }
        guard shape == other.shape else { throw TensorError.shapeMismatch(op: "mul_", lhs: shape, rhs: other.shape) }
        guard count > 0 else { return }
        try elementwise.encodeMultiply(into: context.stream, a: buffer, b: other.buffer, output: buffer, shape: shape)
    }
}
