import RetortCompute

// ReLU and its backward.
//   x, y: [any shape];  dx = dy where y > 0, else 0

extension Tensor {
    /// `max(x, 0)` element-wise.
    public func relu() throws -> Tensor {
        let y = try Tensor.empty(shape: shape, context: context)
        let launcher = try context.launcher(ReLULauncher.self) { try ReLULauncher(device: $0) }
        try launcher.encodeReLU(into: context.stream, input: buffer, output: y.buffer, count: count)
        return y.recorded(from: [self]) { g in
            let dx = try Tensor.empty(shape: g.shape, context: g.context)
            try launcher.encodeReLUBackward(into: g.context.stream, outputGradient: g.buffer, mask: y.buffer,
                                            inputGradient: dx.buffer, count: g.count)
            return [dx]
        }
    }
}
