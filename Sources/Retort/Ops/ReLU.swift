import RetortCompute

// ReLU and its backward, and the ReLU of a sum (a residual block's relu(out + shortcut)) in one pass.
//   x, y: [any shape];  dx = dy where y > 0, else 0
//   a, b, y: [the same shape];  y = max(a + b, 0);  da = db = dy where y > 0, else 0
//   ReLU6: x, y: [any shape];  y = min(max(x, 0), 6);  dx = dy where 0 < y < 6, else 0
// Each follows its input's precision (fp16/bf16 tensors stay 16-bit, gradients too).

extension Tensor {
    /// `max(x, 0)` element-wise.
    public func relu() throws -> Tensor {
        let y = try Tensor.empty(shape: shape, context: context, precision: precision)
        try reluLauncher.encodeReLU(into: context.stream, input: buffer, output: y.buffer, count: count, precision: precision)
        return y.recorded(from: [self]) { g in [try g.reluGradient(output: y)] }
    }

    /// `max(self + other, 0)` element-wise, in one pass: `(self + other).relu()` without the sum as a
    /// tensor of its own. Both operands have the same shape; both get the same (masked) gradient.
    /// Operands of different precisions are summed in fp32 (as PyTorch promotes fp16 + bf16).
    public func reluOfSum(with other: Tensor) throws -> Tensor {
        guard context === other.context else { throw TensorError.contextMismatch(op: "reluOfSum") }
        guard shape == other.shape else { throw TensorError.shapeMismatch(op: "reluOfSum", lhs: shape, rhs: other.shape) }
        guard precision == other.precision else { return try float32().reluOfSum(with: other.float32()) }
        let y = try Tensor.empty(shape: shape, context: context, precision: precision)
        try reluLauncher.encodeReLUOfSum(into: context.stream, a: buffer, b: other.buffer, output: y.buffer, count: count,
                                         precision: precision)
        return y.recorded(from: [self, other]) { g in
            let dx = try g.reluGradient(output: y)
            return [dx, dx]
        }
    }

    /// `min(max(x, 0), 6)` element-wise (PyTorch's `relu6`, MobileNetV2's activation); NaN stays NaN.
    /// The gradient passes where `0 < x < 6` (none at 0 and 6, as PyTorch's `hardtanh_backward`).
    public func relu6() throws -> Tensor {
        let y = try Tensor.empty(shape: shape, context: context, precision: precision)
        try reluLauncher.encodeReLU6(into: context.stream, input: buffer, output: y.buffer, count: count, precision: precision)
        return y.recorded(from: [self]) { g in [try g.relu6Gradient(output: y)] }
    }

    /// This gradient of a ReLU6's output `y` taken back through it: zero where `y ≤ 0` or `y ≥ 6`. Not recorded.
    private func relu6Gradient(output y: Tensor) throws -> Tensor {
        let g = try cast(to: y.precision)
        let dx = try Tensor.empty(shape: shape, context: context, precision: y.precision)
        try reluLauncher.encodeReLU6Backward(into: context.stream, outputGradient: g.buffer, mask: y.buffer, inputGradient: dx.buffer,
                                             count: count, precision: y.precision)
        return dx
    }

    /// This gradient of a ReLU's output `y` taken back through the ReLU: zero where `y ≤ 0` (PyTorch's
    /// convention at 0), unchanged elsewhere. Not recorded.
    package func reluGradient(output y: Tensor) throws -> Tensor {
        let g = try cast(to: y.precision)
        let dx = try Tensor.empty(shape: shape, context: context, precision: y.precision)
        try reluLauncher.encodeReLUBackward(into: context.stream, outputGradient: g.buffer, mask: y.buffer, inputGradient: dx.buffer,
                                            count: count, precision: y.precision)
        return dx
    }

    private var reluLauncher: ReLULauncher {
        get throws { try context.launcher(ReLULauncher.self) { try ReLULauncher(device: $0) } }
    }
}
