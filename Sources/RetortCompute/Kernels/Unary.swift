/// Element-wise unary ops on fp32 tensors (`unary.comp`): `output = OP(input)`.
///
/// input, output: [count]; `output` may be `input` (in place). Kernels are built on first use and
/// cached by the device.
public struct UnaryLauncher: Sendable {

    /// The specialization constants of `unary.comp`.
    public struct Specialization: SpecializationConstants {
        /// constant_id 3: `OP`: the ``Operation``.
        public var op: UInt32

        public var values: [ShaderValue] { [.uint(op)] }
    }
    /// The op applied to each element (the shader's `OP`, specialization constant 3).
    public enum Operation: UInt32, Sendable, CaseIterable {
        /// `eˣ`.
        case exp = 0
        /// The natural logarithm (−inf at 0, NaN below).
        case log
        /// `√x` (NaN below 0).
        case squareRoot
        /// `1 / x`.
        case reciprocal
        /// `x²`.
        case square
    }

    public let device: Device
    private static let localSize: UInt32 = 256

    /// Prepares the launcher; kernels are built (and cached by `device`) on first use.
    public init(device: Device) throws {
        self.device = device
    }

    /// `output = operation(input)` over `count` elements.
    public func encode(_ operation: Operation, into stream: CommandStream, input: Buffer, output: Buffer, count: Int) throws {
        try ElementwiseLauncher.require("\(operation) of \(count) values", [("input", input, count), ("output", output, count)])
        let kernel = try device.kernel(.unary, bindings: [.texel(.r32f), .storage(.write)], pushConstants: ElementCount.self,
                                       localSize: [Self.localSize, 1, 1], constants: Specialization(op: operation.rawValue))
        try stream.dispatch(kernel, [input, output], push: ElementCount(count: count), groups: ElementwiseLauncher.cappedGroups(kernel, count: count))
    }
}
