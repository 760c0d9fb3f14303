import RetortCompute

// The transpose of a matrix, and its backward (the transpose of the upstream gradient), as strided copies.
//   x: [B, C] → y: [C, B]

extension Tensor {
    /// The transpose of a `[B, C]` tensor, `[C, B]`.
    public func transposed() throws -> Tensor {
        if precision.isReduced { return try float32().transposed() }
        guard shape.count == 2 else { throw TensorError.invalidShape(op: "transposed", shape: shape, expected: "[B, C]") }
        let y = try transposeCopy()
        return y.recorded(from: [self]) { g in [try g.transposeCopy()] }
    }

    private func transposeCopy() throws -> Tensor {
        let (rows, columns) = (shape[0], shape[1])
        let copy = try context.launcher(CopyStridedLauncher.self) { try CopyStridedLauncher(device: $0) }
        let y = try Tensor.empty(shape: [columns, rows], context: context)
        // Walk the output [C, B]: element (c, b) comes from x[b, c].
        try copy.encode(into: context.stream, shape: [columns, rows], source: buffer, .init(strides: [1, columns]),
                        destination: y.buffer, .init(strides: [rows, 1]))
        return y
    }
}
