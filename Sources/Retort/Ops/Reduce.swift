import RetortCompute

// Reductions and their backward (a broadcast of the upstream gradient).
//   sum/mean: x [any shape] → [1]

extension Tensor {
    /// The sum of all elements, as a one-element tensor.
    public func sum() throws -> Tensor { try total(mean: false) }

    /// The mean of all elements, as a one-element tensor.
    public func mean() throws -> Tensor { try total(mean: true) }

    private func total(mean: Bool) throws -> Tensor {
        if precision.isReduced { return try float32().total(mean: mean) }
        let reduction = try context.launcher(ReduceLauncher.self) { try ReduceLauncher(device: $0) }
        let y = try Tensor.empty(shape: [1], context: context)
        try reduction.encodeTotal(into: context.stream, input: buffer, output: y.buffer, count: count, mean: mean)
        let (shape, count) = (shape, count)
        return y.recorded(from: [self]) { g in
            // dx = g (a scalar) broadcast to x's shape, divided by the count for the mean.
            let ones = try Tensor.full(mean ? 1 / Float(count) : 1, shape: shape, context: g.context)
            return [try ones.product(g, .scalar)]
        }
    }
}
