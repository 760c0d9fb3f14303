// Binary element-wise ops with broadcasting.
//   a, output: [any shape]; b: [any shape], [C], [N] or [1] (``Broadcast``)

/// Element-wise binary ops on fp32 tensors with broadcasting (`broadcast.comp`); ReLU is
/// ``ReLULauncher``, unary ops ``UnaryLauncher``.
///
/// A tensor is described by its `shape` (NCHW or any other row-major layout). The second operand of
/// a binary op may have the full shape or be broadcast (see ``Broadcast``); the gradient of a
/// broadcast operand is the full gradient summed back to its shape with
/// ``ReduceLauncher/encodeSum(into:input:output:shape:to:accumulate:)``.
///
/// Outputs may be the first operand itself (in place); an output must not be a broadcast operand.
/// Kernels are built on first use and cached by the device.
public struct ElementwiseLauncher: Sendable {

    /// The specialization constants of `broadcast.comp`.
    ///
    /// - `op`: constant_id 3: `OP`: 0 `alpha·a + beta·b`, 1 `a ⊙ b`
    /// - `mode`: constant_id 4: `MODE`: how `b` is broadcast (``Broadcast``)
    /// - `vec`: constant_id 5: `VEC`: elements per invocation, 1 or 4
    /// - `bVec`: constant_id 6: `B_VEC`: `b` is read as RGBA32F too (full operands)
    public struct Specialization: SpecializationConstants {
        public var op, mode, vec: UInt32
        public var bVec: Bool

        public var values: [ShaderValue] { [.uint(op), .uint(mode), .uint(vec), .bool(bVec)] }
    }

    /// The push constants of `broadcast.comp`: `a` viewed as `[outer, mid, inner]` around the broadcast axis.
    ///
    /// - `count`: elements of `a`
    /// - `mid`: size of the broadcast axis
    /// - `inner`: elements after it
    /// - `alpha`: weight of `a`
    /// - `beta`: weight of `b`
    /// - `innerMagic`: division by `inner`: magic number
    /// - `innerShift`: division by `inner`: shift
    /// - `midMagic`: division by `mid`: magic number
    /// - `midShift`: division by `mid`: shift
    public struct Push: PushConstants {
        public static let count = 9
        public var count, mid, inner: Int
        public var alpha, beta: Float
        public var innerMagic, innerShift, midMagic, midShift: UInt32

        public var values: [ShaderValue] {
            [.count(count), .count(mid), .count(inner), .float(alpha), .float(beta), .uint(innerMagic), .uint(innerShift),
             .uint(midMagic), .uint(midShift)]
        }
    }
    /// How the second operand `b` of a binary op spans the first operand's shape.
    public enum Broadcast: Sendable, Hashable, CaseIterable {
        /// `b` has the same shape as `a`.
        case full
        /// `b` is `[C]`, one value per channel (axis 1) of `a`: `[N, C, H, W]`, `[N, C]`, ….
        /// (A `[N, C]` operand over `[N, C, H, W]` is this case for the shape `[1, N·C, H, W]`.)
        case channel
        /// `b` is `[N]`, one value per sample (axis 0) of `a`.
        case sample
        /// `b` is a single value.
        case scalar

        /// Number of elements `b` holds for an `a` of `shape`.
        public func count(for shape: [Int]) -> Int {
            switch self {
            case .full: return shape.reduce(1, *)
            case .channel: return shape.count > 1 ? shape[1] : 0
            case .sample: return shape.first ?? 0
            case .scalar: return 1
            }
        }

        var mode: UInt32 {
            switch self {
            case .full: return 0
            case .channel: return 1
            case .sample: return 2
            case .scalar: return 3
            }
        }
    }

    /// The same-shape ops of `elementwise.comp` (its `OP`, specialization constant 3).
    public enum Operation: UInt32, Sendable, CaseIterable {
        case add = 0, subtract, multiply, divide, maximum, minimum
    }

    /// The specialization constants of `elementwise.comp`.
    public struct OperationSpecialization: SpecializationConstants {
        /// constant_id 3: `OP`, the ``Operation``.
        public var op: UInt32
        public var values: [ShaderValue] { [.uint(op)] }
    }

    public let device: Device
    private static let localSize: UInt32 = 64

    /// Prepares the launcher; kernels are built (and cached by `device`) on first use.
    public init(device: Device) throws {
        self.device = device
    }

    // MARK: Binary ops

    /// `output = a OP b` element by element over `count` values of same-shaped operands
    /// (`elementwise.comp`; NaN follows IEEE rules, `maximum`/`minimum` as GLSL's `max`/`min`).
    public func encode(_ operation: Operation, into stream: CommandStream, a: Buffer, b: Buffer, output: Buffer, count: Int) throws {
        let name = "\(operation)"
        _ = try Self.elementCount(name, [count])
        try Self.require("\(name) of \(count) values", [("a", a, count), ("b", b, count), ("output", output, count)])
        let kernel = try device.kernel(.elementwise, bindings: [.texel(.r32f), .texel(.r32f), .storage(.write)],
                                       pushConstants: ElementCount.self, localSize: [256],
                                       constants: OperationSpecialization(op: operation.rawValue))
        try stream.dispatch(kernel, [a, b, output], push: ElementCount(count: count), groups: Self.cappedGroups(kernel, count: count))
    }

    /// `output = a + alpha · b`, `b` broadcast over `a`'s `shape` (torch.add with `alpha`).
    public func encodeAdd(into stream: CommandStream, a: Buffer, b: Buffer, output: Buffer, shape: [Int],
                          broadcast: Broadcast = .full, alpha: Float = 1) throws {
        try encodeBinary(into: stream, name: "add", op: 0, a: a, b: b, output: output, shape: shape, broadcast: broadcast,
                         alpha: 1, beta: alpha)
    }

    /// `output = a − b`, `b` broadcast over `a`'s `shape`.
    public func encodeSubtract(into stream: CommandStream, a: Buffer, b: Buffer, output: Buffer, shape: [Int],
                               broadcast: Broadcast = .full) throws {
        try encodeBinary(into: stream, name: "subtract", op: 0, a: a, b: b, output: output, shape: shape, broadcast: broadcast,
                         alpha: 1, beta: -1)
    }

    /// `output = a ⊙ b`, `b` broadcast over `a`'s `shape`.
    public func encodeMultiply(into stream: CommandStream, a: Buffer, b: Buffer, output: Buffer, shape: [Int],
                               broadcast: Broadcast = .full) throws {
        try encodeBinary(into: stream, name: "multiply", op: 1, a: a, b: b, output: output, shape: shape, broadcast: broadcast,
                         alpha: 1, beta: 0)
    }

    /// In place: `y = alpha · x + y`, `x` broadcast over `y`'s `shape` (gradient accumulation, bias add).
    public func encodeAXPY(into stream: CommandStream, alpha: Float, x: Buffer, y: Buffer, shape: [Int],
                           broadcast: Broadcast = .full) throws {
        try encodeBinary(into: stream, name: "axpy", op: 0, a: y, b: x, output: y, shape: shape, broadcast: broadcast,
                         alpha: 1, beta: alpha)
    }

    /// `output = alpha · x` over `count` elements; `output` may be `x` (in place).
    public func encodeScale(into stream: CommandStream, alpha: Float, x: Buffer, output: Buffer, count: Int) throws {
        try encodeBinary(into: stream, name: "scale", op: 0, a: x, b: x, output: output, shape: [count], broadcast: .full,
                         alpha: alpha, beta: 0)
    }

    private func encodeBinary(into stream: CommandStream, name: String, op: UInt32, a: Buffer, b: Buffer, output: Buffer,
                              shape: [Int], broadcast: Broadcast, alpha: Float, beta: Float) throws {
        let count = try Self.elementCount(name, shape)
        guard broadcast != .channel || shape.count >= 2 else {
            throw VulkanError.invalidArgument("\(name): a per-channel operand needs a shape with at least 2 axes ([N, C, …]), got \(shape).")
        }
        let bCount = broadcast.count(for: shape)
        try Self.require("\(name) \(shape) with a \(broadcast) operand", [("a", a, count), ("b", b, bCount), ("output", output, count)])
        guard output !== b || broadcast == .full else {
            throw VulkanError.invalidArgument("\(name) \(shape): the output cannot be the broadcast (\(broadcast)) operand.")
        }
        // View a as [outer, mid, inner] around the broadcast axis: per channel [N, C, H·W], per sample [N, 1, rest].
        let (mid, inner): (Int, Int)
        switch broadcast {
        case .full, .scalar: (mid, inner) = (1, 1)
        case .channel: (mid, inner) = (shape[1], shape.dropFirst(2).reduce(1, *))
        case .sample: (mid, inner) = (1, count / shape[0])
        }
        // Four elements per invocation when every group of four shares one b value (or b is full).
        let vectorized: Bool
        switch broadcast {
        case .full, .scalar: vectorized = count % 4 == 0
        case .channel, .sample: vectorized = inner % 4 == 0
        }
        let bVec = vectorized && broadcast == .full
        let kernel = try device.kernel(.broadcast,
                                       bindings: [.texel(vectorized ? .rgba32f : .r32f), .texel(bVec ? .rgba32f : .r32f), .storage(.write)],
                                       pushConstants: Push.self, localSize: [Self.localSize],
                                       constants: Specialization(op: op, mode: broadcast.mode, vec: vectorized ? 4 : 1, bVec: bVec))
        let byInner = Self.divisionMagic(inner), byMid = Self.divisionMagic(mid)
        try stream.dispatch(kernel, [a, b, output],
                            push: Push(count: count, mid: mid, inner: inner, alpha: alpha, beta: beta, innerMagic: byInner.magic,
                                       innerShift: byInner.shift, midMagic: byMid.magic, midShift: byMid.shift),
                            groups: groups(units: vectorized ? count / 4 : count))
    }

    // MARK: Helpers

    private func groups(units: Int) -> (Int, Int, Int) {
        Self.groups(units: units, localSize: Self.localSize)
    }

    /// One invocation per element, at most ``maxGroups`` workgroups: for the grid-stride shaders
    /// (`elementwise.comp`, `unary.comp`), which loop over what the groups do not cover.
    static func cappedGroups(_ kernel: Kernel, count: Int) -> (Int, Int, Int) {
        (min(kernel.groups(covering: (count, 1, 1)).0, maxGroups), 1, 1)
    }

    /// Workgroups for kernels that split `units` into one contiguous span per subgroup
    /// (`elementwise_span.glsl`): about `unitsPerInvocation` units per invocation.
    static func groups(units: Int, localSize: UInt32) -> (Int, Int, Int) {
        let perGroup = Int(localSize) * unitsPerInvocation
        return (max(1, min((units + perGroup - 1) / perGroup, maxGroups)), 1, 1)
    }

    static let unitsPerInvocation = 64
    /// Enough workgroups to keep any device busy; the shaders loop over the rest.
    package static let maxGroups = 65_535

    /// Magic numbers for dividing any n < 2³¹ by `divisor` without a division instruction:
    /// `n / divisor == (mulhi(n, magic) + n) >> shift`, where mulhi is the high word of the 64-bit product.
    static func divisionMagic(_ divisor: Int) -> (magic: UInt32, shift: UInt32) {
        precondition(divisor > 0 && divisor <= Int(Int32.max), "divisor \(divisor) out of range")
        let d = UInt64(divisor)
        let shift = d == 1 ? 0 : UInt64(64 - (d - 1).leadingZeroBitCount)
        let magic = ((1 << 32) * ((1 << shift) - d)) / d + 1
        return (UInt32(magic), UInt32(shift))
    }

    /// The element count of `shape`; throws for empty shapes, non-positive axes and counts beyond 32-bit indexing.
    package static func elementCount(_ name: String, _ shape: [Int]) throws -> Int {
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) else {
            throw VulkanError.invalidArgument("\(name): shape \(shape) needs at least one axis and positive sizes.")
        }
        let (count, overflow) = shape.reduce((1, false)) { partial, size in
            let (product, overflow) = partial.0.multipliedReportingOverflow(by: size)
            return (product, partial.1 || overflow)
        }
        guard !overflow, count <= Int(Int32.max) else {
            throw VulkanError.invalidArgument("\(name): shape \(shape) has more elements than 32-bit indexing allows.")
        }
        return count
    }

    /// Throws unless each buffer holds at least its count of values of `precision` (fp32 unless told).
    /// `context` names the op and its shapes for the message.
    package static func require(_ context: String, _ buffers: [(String, Buffer, Int)], precision: Precision = .float32) throws {
        let size = precision.byteCount
        for (role, buffer, count) in buffers where buffer.byteCount < count * size {
            throw VulkanError.invalidArgument(
                "\(context): \(role) needs \(count) \(precision) values but its buffer holds \(buffer.byteCount / size).")
        }
    }
}
