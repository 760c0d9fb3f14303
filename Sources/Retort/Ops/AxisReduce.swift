import RetortCompute

// Sums and means over one axis of a matrix, and their backward (a broadcast of the upstream gradient).
//   x: [B, C];  axis 1 → [B] (per row);  axis 0 → [C] (per column)

extension Tensor {
    /// The sums over `axis` (0 or 1) of a `[B, C]` tensor: `[B]` for axis 1, `[C]` for axis 0.
    public func sum(alongAxis axis: Int) throws -> Tensor { try axisTotal(axis, mean: false) }

    /// The means over `axis` (0 or 1) of a `[B, C]` tensor.
    public func mean(alongAxis axis: Int) throws -> Tensor { try axisTotal(axis, mean: true) }

    private func axisTotal(_ axis: Int, mean: Bool) throws -> Tensor {
        if precision.isReduced { return try float32().axisTotal(axis, mean: mean) }
        guard shape.count == 2, axis == 0 || axis == 1 else {
            throw TensorError.invalidShape(op: mean ? "mean(alongAxis:)" : "sum(alongAxis:)", shape: shape, expected: "[B, C] and axis 0 or 1")
        }
        let reduction = try context.launcher(ReduceLauncher.self) { try ReduceLauncher(device: $0) }
        let (rows, columns) = (shape[0], shape[1])
        let y = try Tensor.empty(shape: [axis == 1 ? rows : columns], context: context)
        let view = axis == 1 ? ReduceLauncher.AxisView(outer: rows, reduced: columns, inner: 1) : ReduceLauncher.AxisView(outer: 1, reduced: rows, inner: columns)
        try reduction.encodeSum(into: context.stream, input: buffer, output: y.buffer, view: view, mean: mean)
        let shape = shape
        return y.recorded(from: [self]) { g in
            // dx[b, c] = g[b] (axis 1) or g[c] (axis 0), divided by the reduced length for the mean.
            let ones = try Tensor.full(mean ? 1 / Float(axis == 1 ? columns : rows) : 1, shape: shape, context: g.context)
            return [try ones.product(g, axis == 1 ? .sample : .channel)]
        }
    }
}
