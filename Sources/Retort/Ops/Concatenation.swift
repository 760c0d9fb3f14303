import RetortCompute

// Joining and slicing along one axis, forward and backward side by side; each is strided copies
// (one dispatch per input or output), viewing a tensor as [outer, axis, inner] around the axis.
//   concatenated: x_i: [A…, k_i, B…] → y: [A…, Σ k_i, B…];   dx_i = the window of dy that x_i filled
//   sliced:       x: [A…, K, B…] → y: [A…, range.count, B…];  dx = zeros of x's shape, the window set to dy
//   split:        consecutive slices whose sizes add up to the axis (torch.split with a list of sizes)

extension Tensor {
    /// Joins `tensors` along `axis` (`torch.cat`); every other dimension must agree. A negative axis
    /// counts from the end. Channel concatenation of NCHW tensors is `axis: 1`.
    public static func concatenated(_ tensors: [Tensor], along axis: Int) throws -> Tensor {
        if tensors.contains(where: \.precision.isReduced) { return try concatenated(tensors.map { try $0.float32() }, along: axis) }
        guard let first = tensors.first else {
            throw TensorError.invalidShape(op: "concatenate", shape: [], expected: "at least one tensor")
        }
        let dimension = try first.resolvedAxis(axis, op: "concatenate")
        for other in tensors.dropFirst() {
            guard other.context === first.context else { throw TensorError.contextMismatch(op: "concatenate") }
            var expected = first.shape, actual = other.shape
            guard expected.count == actual.count else {
                throw TensorError.shapeMismatch(op: "concatenate along \(axis)", lhs: first.shape, rhs: other.shape)
            }
            expected[dimension] = 0
            actual[dimension] = 0
            guard expected == actual else { throw TensorError.shapeMismatch(op: "concatenate along \(axis)", lhs: first.shape, rhs: other.shape) }
        }
        let context = first.context
        let (outer, inner) = first.aroundAxis(dimension)
        let sizes = tensors.map { $0.shape[dimension] }
        let total = sizes.reduce(0, +)
        var shape = first.shape
        shape[dimension] = total
        let copy = try context.stridedCopy
        let y = try Tensor.empty(shape: shape, context: context)
        var offset = 0
        for (tensor, size) in zip(tensors, sizes) {
            if tensor.count > 0 {
                try copy.encodeInsert(into: context.stream, input: tensor.buffer, output: y.buffer, outer: outer, axis: total, inner: inner,
                                      at: offset, count: size)
            }
            offset += size
        }
        return y.recorded(from: tensors) { g in
            var start = 0
            return try zip(tensors, sizes).map { tensor, size in
                defer { start += size }
                guard tensor.requiresGrad else { return nil }
                return try g.slice(start..<start + size, axis: dimension)
            }
        }
    }

    /// The window `range` of `axis` (`x.narrow(axis, start, length)` as a new tensor). A negative axis
    /// counts from the end.
    public func sliced(_ range: Range<Int>, along axis: Int) throws -> Tensor {
        if precision.isReduced { return try float32().sliced(range, along: axis) }
        let dimension = try resolvedAxis(axis, op: "slice")
        guard range.lowerBound >= 0, range.upperBound <= shape[dimension] else {
            throw TensorError.invalidShape(op: "slice \(range) along \(axis)", shape: shape, expected: "a range inside 0..<\(shape[dimension])")
        }
        let y = try slice(range, axis: dimension)
        return y.recorded(from: [self]) { [shape] g in
            let dx = try Tensor.empty(shape: shape, context: g.context)
            try g.context.stream.fill(dx.buffer, with: Float(0))
            if g.count > 0 {
                let (outer, inner) = dx.aroundAxis(dimension)
                try g.context.stridedCopy.encodeInsert(into: g.context.stream, input: g.buffer, output: dx.buffer, outer: outer,
                                                       axis: shape[dimension], inner: inner, at: range.lowerBound, count: range.count)
            }
            return [dx]
        }
    }

    /// Consecutive slices of `axis` with the given sizes, which must add up to its length
    /// (`torch.split(x, sizes, dim)`). ShuffleNetV2 splits channels in halves: `split([c, C − c], along: 1)`.
    public func split(_ sizes: [Int], along axis: Int) throws -> [Tensor] {
        let dimension = try resolvedAxis(axis, op: "split")
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[dimension] else {
            throw TensorError.invalidShape(op: "split \(sizes) along \(axis)", shape: shape, expected: "sizes adding up to \(shape[dimension])")
        }
        var start = 0
        return try sizes.map { size in
            defer { start += size }
            return try sliced(start..<start + size, along: dimension)
        }
    }

    // MARK: Helpers

    var stridedCopy: CopyStridedLauncher {
        get throws { try context.stridedCopy }
    }

    /// `axis` in 0..<rank (negative axes count from the end), or an error naming the op.
    func resolvedAxis(_ axis: Int, op: String) throws -> Int {
        let resolved = axis < 0 ? axis + shape.count : axis
        guard resolved >= 0, resolved < shape.count else {
            throw TensorError.invalidShape(op: "\(op) along \(axis)", shape: shape, expected: "an axis in \(-shape.count)..<\(shape.count)")
        }
        return resolved
    }

    /// The element counts before and after `axis` (the tensor viewed as [outer, shape[axis], inner]).
    func aroundAxis(_ axis: Int) -> (outer: Int, inner: Int) {
        (shape.prefix(axis).reduce(1, *), shape.dropFirst(axis + 1).reduce(1, *))
    }

    /// The window `range` of `axis` in a new tensor, not recorded.
    func slice(_ range: Range<Int>, axis: Int) throws -> Tensor {
        var sliceShape = shape
        sliceShape[axis] = range.count
        let y = try Tensor.empty(shape: sliceShape, context: context)
        if y.count > 0 {
            let (outer, inner) = aroundAxis(axis)
            try stridedCopy.encodeSlice(into: context.stream, input: buffer, output: y.buffer, outer: outer, axis: shape[axis], inner: inner,
                                        range: range)
        }
        return y
    }
}

extension Context {
    /// The strided-copy launcher of this context's device.
    var stridedCopy: CopyStridedLauncher {
        get throws { try launcher(CopyStridedLauncher.self) { try CopyStridedLauncher(device: $0) } }
    }
}
