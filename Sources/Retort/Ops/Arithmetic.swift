import RetortCompute

// Element-wise arithmetic on tensors of the same shape, forward and backward side by side.
//   x, y, z: [any shape], the same for all three.

extension Tensor {
    /// Element-wise sum.
    public func adding(_ other: Tensor) throws -> Tensor {
        try binary(.add, other, name: "add").recorded(from: [self, other]) { g in [g, g] }
    }

    /// Element-wise difference.
    public func subtracting(_ other: Tensor) throws -> Tensor {
        try binary(.subtract, other, name: "subtract").recorded(from: [self, other]) { g in [g, try g.scaled(by: -1)] }
    }

    /// Element-wise product.
    public func multiplying(_ other: Tensor) throws -> Tensor {
        try binary(.multiply, other, name: "multiply").recorded(from: [self, other]) { [self] g in
            [try g.binary(.multiply, other, name: "multiply"), try g.binary(.multiply, self, name: "multiply")]
        }
    }

    /// Element-wise quotient.
    public func dividing(by other: Tensor) throws -> Tensor {
        let z = try binary(.divide, other, name: "divide")
        return z.recorded(from: [self, other]) { g in
            // dz/dx = 1/y, dz/dy = −z/y
            let gx = try g.binary(.divide, other, name: "divide")
            return [gx, try gx.binary(.multiply, z, name: "multiply").scaled(by: -1)]
        }
    }

    /// `s · x`.
    public func scaled(by factor: Float) throws -> Tensor {
        let z = try Tensor.empty(shape: shape, context: context)
        try context.stream.copy(buffer, to: z.buffer, byteCount: count * 4)
        try z.scaleInPlace(by: factor, adding: 0)
        return z.recorded(from: [self]) { g in [try g.scaled(by: factor)] }
    }

    public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.adding(rhs) }
    public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.subtracting(rhs) }
    public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.multiplying(rhs) }
    public static func / (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.dividing(by: rhs) }
    public static func * (lhs: Tensor, rhs: Float) throws -> Tensor { try lhs.scaled(by: rhs) }
    public static func * (lhs: Float, rhs: Tensor) throws -> Tensor { try rhs.scaled(by: lhs) }

    // MARK: Kernels

    enum BinaryOp: UInt32 { case add = 0, subtract, multiply, divide, maximum, minimum }

    /// `self OP other` into a new tensor, without recording.
    func binary(_ op: BinaryOp, _ other: Tensor, name: String) throws -> Tensor {
        guard context === other.context else { throw TensorError.contextMismatch(op: name) }
        guard shape == other.shape else { throw TensorError.shapeMismatch(op: name, lhs: shape, rhs: other.shape) }
        let z = try Tensor.empty(shape: shape, context: context)
        try dispatchBinary(op, self.buffer, other.buffer, into: z.buffer)
        return z
    }

    /// Sum without recording (used to combine gradients).
    func adding(_ other: Tensor, recording: Bool) throws -> Tensor {
        recording ? try adding(other) : try binary(.add, other, name: "add")
    }

    /// `self += other`, in place, not recorded (gradient accumulation).
    func addInPlace(_ other: Tensor) throws {
        guard shape == other.shape else { throw TensorError.shapeMismatch(op: "add_", lhs: shape, rhs: other.shape) }
        try dispatchBinary(.add, buffer, other.buffer, into: buffer)
    }

    /// `self = alpha · self + beta`, in place, not recorded.
    func scaleInPlace(by alpha: Float, adding beta: Float) throws {
        let kernel = try context.device.kernel("scale", bindings: [.storage(.readWrite)], pushConstants: 3, localSize: [256, 1, 1])
        try context.stream.dispatch(kernel, [buffer], push: [.count(count), .float(alpha), .float(beta)],
                                    groups: kernel.groups(covering: (count, 1, 1)))
    }

    private func dispatchBinary(_ op: BinaryOp, _ x: Buffer, _ y: Buffer, into z: Buffer) throws {
        let kernel = try context.device.kernel("elementwise", bindings: [.texel(.r32f), .texel(.r32f), .storage(.write)],
                                               pushConstants: 1, localSize: [256, 1, 1], constants: [.uint(op.rawValue)])
        try context.stream.dispatch(kernel, [x, y, z], push: [.count(count)], groups: kernel.groups(covering: (count, 1, 1)))
    }
}
