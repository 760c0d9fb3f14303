import RetortCompute

// 2-D pooling, forward and backward side by side.
//   x: [N, C, H, W] → y: [N, C, OH, OW] (global average: [N, C])
// Every pooling follows its input's precision (fp16/bf16 values and gradients; max pooling's indices Int32).

extension Tensor {
    /// Max pooling with PyTorch's semantics (floor mode, padding counts as −∞).
    public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) throws -> Tensor {
        let (n, c, h, w, window, pooling, y) = try windowPooling("maxPool2d", kernel: kernel, stride: stride, padding: padding)
        let indices = try context.device.makeBuffer(byteCount: max(1, y.count) * 4)
        try pooling.encodeMaxForward(into: context.stream, input: buffer, output: y.buffer, indices: indices,
                                     batch: n, channels: c, height: h, width: w, window: window, precision: precision)
        return y.recorded(from: [self]) { [shape, precision] outputGradient in
            let g = try outputGradient.cast(to: precision)
            let dx = try Tensor.empty(shape: shape, context: g.context, precision: precision)
            try pooling.encodeMaxBackward(into: g.context.stream, outputGradient: g.buffer, indices: indices, inputGradient: dx.buffer,
                                          batch: n, channels: c, height: h, width: w, window: window, precision: precision)
            return [dx]
        }
    }

    /// Average pooling (padding counted in the divisor, as PyTorch's default).
    public func avgPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) throws -> Tensor {
        let (n, c, h, w, window, pooling, y) = try windowPooling("avgPool2d", kernel: kernel, stride: stride, padding: padding)
        try pooling.encodeAverageForward(into: context.stream, input: buffer, output: y.buffer,
                                         batch: n, channels: c, height: h, width: w, window: window, precision: precision)
        return y.recorded(from: [self]) { [shape, precision] outputGradient in
            let g = try outputGradient.cast(to: precision)
            let dx = try Tensor.empty(shape: shape, context: g.context, precision: precision)
            try pooling.encodeAverageBackward(into: g.context.stream, outputGradient: g.buffer, inputGradient: dx.buffer,
                                              batch: n, channels: c, height: h, width: w, window: window, precision: precision)
            return [dx]
        }
    }

    /// Mean over each channel's plane: [N, C, H, W] → [N, C] (`AdaptiveAvgPool2d(1)` + flatten).
    public func globalAvgPool2d() throws -> Tensor {
        let (n, c, h, w) = try imageShape("globalAvgPool2d")
        let pooling = try context.launcher(PoolLauncher.self) { try PoolLauncher(device: $0) }
        let y = try Tensor.empty(shape: [n, c], context: context, precision: precision)
        try pooling.encodeGlobalAverageForward(into: context.stream, input: buffer, output: y.buffer, batch: n, channels: c, height: h,
                                               width: w, precision: precision)
        return y.recorded(from: [self]) { [shape, precision] outputGradient in
            let g = try outputGradient.cast(to: precision)
            let dx = try Tensor.empty(shape: shape, context: g.context, precision: precision)
            try pooling.encodeGlobalAverageBackward(into: g.context.stream, outputGradient: g.buffer, inputGradient: dx.buffer,
                                                    batch: n, channels: c, height: h, width: w, precision: precision)
            return [dx]
        }
    }

    /// What a windowed pooling op works with: the input's (N, C, H, W), the window, the launcher and
    /// the (uninitialized) output, or an error naming the op.
    private func windowPooling(_ op: String, kernel: Int, stride: Int?, padding: Int) throws
        -> (Int, Int, Int, Int, PoolLauncher.Window, PoolLauncher, Tensor) {
        let (n, c, h, w) = try imageShape(op)
        let window = PoolLauncher.Window(kernel: kernel, stride: stride, padding: padding)
        guard let (oh, ow) = window.outputSize(height: h, width: w) else {
            throw TensorError.invalidShape(op: "pool2d \(window)", shape: shape, expected: "an input at least as large as the window")
        }
        let pooling = try context.launcher(PoolLauncher.self) { try PoolLauncher(device: $0) }
        return (n, c, h, w, window, pooling, try Tensor.empty(shape: [n, c, oh, ow], context: context, precision: precision))
    }

    /// (N, C, H, W) of a 4-D tensor, or an error naming the op.
    func imageShape(_ op: String) throws -> (Int, Int, Int, Int) {
        guard shape.count == 4 else { throw TensorError.invalidShape(op: op, shape: shape, expected: "[N, C, H, W]") }
        return (shape[0], shape[1], shape[2], shape[3])
    }
}
