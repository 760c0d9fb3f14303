import RetortCompute

// Element-wise arithmetic, forward and backward side by side.
//   x: [any shape]; y: the same shape, or broadcast over x: a per-channel [C] (or [1, C, 1, 1]) vector
//   for x: [N, C, …], a per-sample [N] vector, or a single value. The result has x's shape.

extension Tensor {
    /// `x + y` (y may broadcast, see above).
    public func adding(_ other: Tensor) throws -> Tensor {
        if let (a, b) = try fp32Operands(other) { return try a.adding(b) }
        let broadcast = try broadcastMode(other, op: "add")
        let z = try Tensor.empty(shape: shape, context: context)
        try elementwise.encodeAdd(into: context.stream, a: buffer, b: other.buffer, output: z.buffer, shape: shape, broadcast: broadcast)
        return z.recorded(from: [self, other]) { g in [g, try g.reduced(to: other.shape, broadcast)] }
    }

    /// `x − y` (y may broadcast).
    public func subtracting(_ other: Tensor) throws -> Tensor {
        if let (a, b) = try fp32Operands(other) { return try a.subtracting(b) }
        let broadcast = try broadcastMode(other, op: "subtract")
        let z = try Tensor.empty(shape: shape, context: context)
        try elementwise.encodeSubtract(into: context.stream, a: buffer, b: other.buffer, output: z.buffer, shape: shape, broadcast: broadcast)
        return z.recorded(from: [self, other]) { g in [g, try g.reduced(to: other.shape, broadcast).scaled(by: -1)] }
    }

    /// `x ⊙ y` (y may broadcast).
    public func multiplying(_ other: Tensor) throws -> Tensor {
        if let (a, b) = try fp32Operands(other) { return try a.multiplying(b) }
        let broadcast = try broadcastMode(other, op: "multiply")
        let z = try product(other, broadcast)
        return z.recorded(from: [self, other]) { [self] g in
            [try g.product(other, broadcast), try g.product(self, .full).reduced(to: other.shape, broadcast)]
        }
    }

    /// `x / y` element-wise (same shapes).
    public func dividing(by other: Tensor) throws -> Tensor {
        if let (a, b) = try fp32Operands(other) { return try a.dividing(by: b) }
        let z = try binary(.divide, other, name: "divide")
        return z.recorded(from: [self, other]) { g in
            // dz/dx = 1/y, dz/dy = −z/y
            let gx = try g.binary(.divide, other, name: "divide")
            return [gx, try gx.binary(.multiply, z, name: "multiply").scaled(by: -1)]
        }
    }

    /// `s · x`.
    public func scaled(by factor: Float) throws -> Tensor {
        if precision.isReduced { return try float32().scaled(by: factor) }
        let z = try Tensor.empty(shape: shape, context: context)
        try elementwise.encodeScale(into: context.stream, alpha: factor, x: buffer, output: z.buffer, count: count)
        return z.recorded(from: [self]) { g in [try g.scaled(by: factor)] }
    }

    /// How an operand of one axis broadcasts over a `[B, C, …]` tensor, named explicitly: needed when
    /// B = C, where `[B]` and `[C]` look alike and the implicit rule reads the operand per channel.
    public enum Axis: Sendable { case rows, columns }

    /// `x ⊙ v` with `v` one value per row (`[B]`) or per column (`[C]`) of `x: [B, C, …]`.
    public func multiplying(_ other: Tensor, per axis: Axis) throws -> Tensor {
        if let (a, b) = try fp32Operands(other) { return try a.multiplying(b, per: axis) }
        let broadcast = try explicitBroadcast(other, axis, op: "multiply")
        let z = try product(other, broadcast)
        return z.recorded(from: [self, other]) { [self] g in
            [try g.product(other, broadcast), try g.product(self, .full).reduced(to: other.shape, broadcast)]
        }
    }

    /// `x + v` with `v` one value per row (`[B]`) or per column (`[C]`) of `x: [B, C, …]`.
    public func adding(_ other: Tensor, per axis: Axis) throws -> Tensor {
        if let (a, b) = try fp32Operands(other) { return try a.adding(b, per: axis) }
        let broadcast = try explicitBroadcast(other, axis, op: "add")
        let z = try Tensor.empty(shape: shape, context: context)
        try elementwise.encodeAdd(into: context.stream, a: buffer, b: other.buffer, output: z.buffer, shape: shape, broadcast: broadcast)
        return z.recorded(from: [self, other]) { g in [g, try g.reduced(to: other.shape, broadcast)] }
    }

    /// `x − v` with `v` one value per row (`[B]`) or per column (`[C]`) of `x: [B, C, …]`.
    public func subtracting(_ other: Tensor, per axis: Axis) throws -> Tensor {
        if let (a, b) = try fp32Operands(other) { return try a.subtracting(b, per: axis) }
        let broadcast = try explicitBroadcast(other, axis, op: "subtract")
        let z = try Tensor.empty(shape: shape, context: context)
        try elementwise.encodeSubtract(into: context.stream, a: buffer, b: other.buffer, output: z.buffer, shape: shape, broadcast: broadcast)
        return z.recorded(from: [self, other]) { g in [g, try g.reduced(to: other.shape, broadcast).scaled(by: -1)] }
    }

    private func explicitBroadcast(_ other: Tensor, _ axis: Axis, op: String) throws -> ElementwiseLauncher.Broadcast {
        guard context === other.context else { throw TensorError.contextMismatch(op: op) }
        let expected = axis == .rows ? [shape.first ?? 0] : [shape.count > 1 ? shape[1] : 0]
        guard shape.count >= 2, other.shape == expected else { throw TensorError.shapeMismatch(op: op, lhs: shape, rhs: other.shape) }
        return axis == .rows ? .sample : .channel
    }

    public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.adding(rhs) }
    public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.subtracting(rhs) }
    public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.multiplying(rhs) }
    public static func / (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.dividing(by: rhs) }
    public static func * (lhs: Tensor, rhs: Float) throws -> Tensor { try lhs.scaled(by: rhs) }
    public static func * (lhs: Float, rhs: Tensor) throws -> Tensor { try rhs.scaled(by: lhs) }

    // MARK: Helpers

    var elementwise: ElementwiseLauncher {
        get throws { try context.launcher(ElementwiseLauncher.self) { try ElementwiseLauncher(device: $0) } }
    }

    /// How `other` broadcasts over `self`, or a shape error naming both shapes.
    func broadcastMode(_ other: Tensor, op: String) throws -> ElementwiseLauncher.Broadcast {
        guard context === other.context else { throw TensorError.contextMismatch(op: op) }
        if other.shape == shape { return .full }
        if other.count == 1 { return .scalar }
        if shape.count == 2, shape[0] == shape[1], other.shape == [shape[0]] {
            // [B, B] with [B]: per row or per column? Refuse to guess.
            throw TensorError.invalidShape(op: op, shape: shape,
                                           expected: "an explicit axis for a [\(shape[0])] operand over a square matrix: use \(op)ing(_:per: .rows or .columns)")
        }
        if shape.count >= 2, other.shape == [shape[1]] || other.shape == [1, shape[1]] + Array(repeating: 1, count: shape.count - 2) {
            return .channel
        }
        if other.shape == [shape[0]] { return .sample }
        throw TensorError.shapeMismatch(op: op, lhs: shape, rhs: other.shape)
    }

    /// `self ⊙ other` into a new tensor, not recorded.
    func product(_ other: Tensor, _ broadcast: ElementwiseLauncher.Broadcast) throws -> Tensor {
        let z = try Tensor.empty(shape: shape, context: context)
        try elementwise.encodeMultiply(into: context.stream, a: buffer, b: other.buffer, output: z.buffer, shape: shape, broadcast: broadcast)
        return z
    }

    /// Sums a gradient of this (full) shape down to a broadcast operand's shape, not recorded.
    func reduced(to target: [Int], _ broadcast: ElementwiseLauncher.Broadcast) throws -> Tensor {
        guard broadcast != .full else { return self }
        let reduction = try context.launcher(ReduceLauncher.self) { try ReduceLauncher(device: $0) }
        let z = try Tensor.empty(shape: target, context: context)
        try reduction.encodeSum(into: context.stream, input: buffer, output: z.buffer, shape: shape, to: broadcast)
        return z
    }

    /// `self OP other` for same-shaped tensors into a new tensor, not recorded.
    func binary(_ op: ElementwiseLauncher.Operation, _ other: Tensor, name: String) throws -> Tensor {
        guard context === other.context else { throw TensorError.contextMismatch(op: name) }
        guard shape == other.shape else { throw TensorError.shapeMismatch(op: name, lhs: shape, rhs: other.shape) }
        let z = try Tensor.empty(shape: shape, context: context)
        let elementwise = try context.launcher(ElementwiseLauncher.self) { try ElementwiseLauncher(device: $0) }
        try elementwise.encode(op, into: context.stream, a: buffer, b: other.buffer, output: z.buffer, count: count)
        return z
    }

    /// Sum without recording (used to combine gradients).
    func adding(_ other: Tensor, recording: Bool) throws -> Tensor {
        recording ? try adding(other) : try binary(.add, other, name: "add")
    }

    /// `self += other`, in place, not recorded (gradient accumulation).
    func addInPlace(_ other: Tensor) throws {
        guard shape == other.shape else { throw TensorError.shapeMismatch(op: "add_", lhs: shape, rhs: other.shape) }
        try elementwise.encodeAXPY(into: context.stream, alpha: 1, x: other.buffer, y: buffer, shape: shape)
    }
}
