import RetortCompute

/// A tensor in device memory (row-major, NCHW for images): fp32, or fp16/bf16 in mixed-precision
/// training (``precision``; see ``cast(to:)`` and ``Context/autocast(_:_:)``).
///
/// Tensors made by ops remember how they were made (on the context's tape) when any input requires a
/// gradient; ``backward()`` on a scalar then fills ``grad`` of every leaf that requires one.
///
/// Why `@unchecked Sendable` is safe: under its ``context``'s contract. ``requiresGrad`` and ``grad``
/// change while ops record and during ``backward()``, so a tensor is used only by the thread that
/// currently uses its context (see ``Context``); its shape and device buffer never change.
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
    public let shape: [Int]
    public let context: Context
    /// How the elements are stored (fp32 unless a mixed-precision op made the tensor).
    public let precision: Precision
    /// The device memory of the elements (row-major, ``precision``), for ops in the package's other targets.
    package let buffer: Buffer
    /// Whether gradients flow to (and, for leaves, accumulate in) this tensor.
    public internal(set) var requiresGrad: Bool
    /// Accumulated gradient of a leaf (persistent across steps until ``zeroGrad()``).
    public internal(set) var grad: Tensor?
    /// Made by the user (a parameter or an input), not by an op.
    public let isLeaf: Bool

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    init(context: Context, shape: [Int], buffer: Buffer, requiresGrad: Bool, isLeaf: Bool, precision: Precision = .float32) {
        self.context = context
        self.shape = shape
        self.precision = precision
        self.buffer = buffer
        self.requiresGrad = requiresGrad
        self.isLeaf = isLeaf
    }

    /// A tensor holding `values` (row-major) with `shape`.
    public convenience init(_ values: [Float], shape: [Int], context: Context, requiresGrad: Bool = false) throws {
        guard shape.allSatisfy({ $0 >= 0 }), values.count == shape.reduce(1, *) else {
            throw TensorError.countMismatch(shape: shape, count: values.count)
        }
        let buffer = try context.device.makeBuffer(values.isEmpty ? [0] : values)
        self.init(context: context, shape: shape, buffer: buffer, requiresGrad: requiresGrad, isLeaf: true)
    }

    /// A tensor of `shape` filled with `value`.
    public static func full(_ value: Float, shape: [Int], context: Context, requiresGrad: Bool = false) throws -> Tensor {
        let tensor = try Tensor.empty(shape: shape, context: context, isLeaf: true)
        tensor.requiresGrad = requiresGrad
        try context.stream.fill(tensor.buffer, with: value)
        return tensor
    }

    /// A tensor of `shape` filled with zeros.
    public static func zeros(shape: [Int], context: Context, requiresGrad: Bool = false) throws -> Tensor {
        try full(0, shape: shape, context: context, requiresGrad: requiresGrad)
    }

    /// Uninitialized storage for an op's result.
    package static func empty(shape: [Int], context: Context, isLeaf: Bool = false, precision: Precision = .float32) throws -> Tensor {
        // 16-bit tensors round up to whole 8-byte texels (the four-wide texel views read them in fours).
        let bytes = max(1, shape.reduce(1, *)) * precision.byteCount
        let buffer = try context.device.makeBuffer(byteCount: precision.isReduced ? (bytes + 7) / 8 * 8 : bytes)
        return Tensor(context: context, shape: shape, buffer: buffer, requiresGrad: false, isLeaf: isLeaf, precision: precision)
    }

    /// The values, row-major (16-bit values widened to `Float`). Runs everything recorded so far first.
    public func toArray() throws -> [Float] {
        try context.synchronize()
        guard precision.isReduced else { return try buffer.read(Float.self, count: count) }
        return try precision.widen(buffer.read(UInt16.self, count: count))
    }

    /// The single value of a one-element tensor.
    public func item() throws -> Float {
        guard count == 1 else { throw TensorError.invalidShape(op: "item", shape: shape, expected: "one element") }
        return try toArray()[0]
    }

    /// Makes this leaf collect gradients (parameters) or stop collecting them (frozen).
    public func setRequiresGrad(_ flag: Bool) throws {
        guard isLeaf else { throw TensorError.invalidBackward("only leaf tensors (parameters, inputs) can change requiresGrad") }
        requiresGrad = flag
    }

    /// Zeroes the accumulated gradient, keeping its buffer for the next step.
    public func zeroGrad() throws {
        if let grad { try context.stream.fill(grad.buffer, with: Float(0)) }
    }

    /// The device memory holding the values, for running your own kernels on a tensor. Work recorded
    /// on ``Context/stream`` is ordered with the tensor ops automatically.
    public var storage: Buffer { buffer }

    public var description: String { "Tensor(\(shape))" }
}

extension Tensor {
    /// Overwrites the accumulated gradient (creating its buffer if no backward pass has reached this
    /// tensor yet), e.g. with the average over data-parallel ranks. Runs recorded work first.
    public func setGradient(_ values: [Float]) throws {
        guard values.count == count else { throw TensorError.countMismatch(shape: shape, count: values.count) }
        if let grad {
            try grad.assign(values)
        } else {
            let made = try Tensor.empty(shape: shape, context: context, isLeaf: true)
            try context.synchronize()
            try made.buffer.write(values)
            grad = made
        }
    }
}

extension Tensor {
    /// Overwrites the values (e.g. when loading a checkpoint). Runs recorded work first so no kernel
    /// still reads the old values.
    public func assign(_ values: [Float]) throws {
        guard values.count == count else { throw TensorError.countMismatch(shape: shape, count: values.count) }
        try context.synchronize()
        if precision.isReduced { try buffer.write(precision.narrow(values)) } else { try buffer.write(values) }
    }
}
