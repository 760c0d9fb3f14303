// Views that change the shape, not the data (row-major order is kept).

extension Tensor {
    /// The same values with another shape of the same element count; one dimension may be −1.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var resolved = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            guard known > 0, count % known == 0 else { throw TensorError.shapeMismatch(op: "reshape", lhs: shape, rhs: newShape) }
            resolved[inferred] = count / known
        }
        guard resolved.allSatisfy({ $0 >= 0 }), resolved.reduce(1, *) == count else {
            throw TensorError.shapeMismatch(op: "reshape", lhs: shape, rhs: newShape)
        }
        let view = Tensor(context: context, shape: resolved, buffer: buffer, requiresGrad: false, isLeaf: false, precision: precision)
        let original = shape
        return view.recorded(from: [self]) { g in [try g.reshaped(original)] }
    }

    /// Flattens every dimension from `start` on into one (`torch.flatten(x, start)`).
    public func flattened(from start: Int = 1) throws -> Tensor {
        guard start >= 0, start < max(1, shape.count) else {
            throw TensorError.invalidShape(op: "flatten", shape: shape, expected: "at least \(start + 1) dimensions")
        }
        return try reshaped(Array(shape.prefix(start)) + [shape.dropFirst(start).reduce(1, *)])
    }
}
