/// ReLU forward and backward (`relu.comp`), and the ReLU of a sum (a residual block's
/// `relu(out + shortcut)`) in one pass, and ReLU6 (`min(max(x, 0), 6)`, MobileNetV2's activation);
/// four elements per invocation when the count allows. Every buffer holds values of the `precision`
/// passed (fp32 unless told; fp16/bf16 are read and rounded back by the kernel's 16-bit variant).
///
/// x: [count]; outputs may be their input (in place). Kernels are built on first use and cached by
/// the device.
public struct ReLULauncher: Sendable {

    /// The specialization constants of `relu.comp`.
    ///
    /// - `mode`: constant_id 3: `MODE`: 0 forward, 1 backward, 2 forward of the sum of two inputs, 3 ReLU6 forward,
    ///   4 ReLU6 backward
    /// - `vec`: constant_id 4: `VEC`: elements per invocation, 1 or 4 (RGBA32F views; counts divisible by 4)
    public struct Specialization: SpecializationConstants {
        public var mode, vec: UInt32

        public var values: [ShaderValue] { [.uint(mode), .uint(vec)] }
    }
    public let device: Device
    private static let localSize: UInt32 = 64

    /// Prepares the launcher; kernels are built (and cached by `device`) on first use.
    public init(device: Device) throws {
        self.device = device
    }

    /// `output = max(input, 0)` over `count` elements (NaN stays NaN); `output` may be `input`.
    public func encodeReLU(into stream: CommandStream, input: Buffer, output: Buffer, count: Int, precision: Precision = .float32) throws {
        try encodeReLU(into: stream, mode: 0, (input, "input"), (input, "input"), output: output, count: count,
                       name: "ReLU", precision: precision)
    }

    /// `output = max(a + b, 0)` over `count` elements (NaN stays NaN), in one pass; `output` may be `a`
    /// or `b`. Its backward is ``encodeReLUBackward(into:outputGradient:mask:inputGradient:count:precision:)``
    /// with `output` as the mask, whose result is the gradient of both `a` and `b`.
    public func encodeReLUOfSum(into stream: CommandStream, a: Buffer, b: Buffer, output: Buffer, count: Int,
                                precision: Precision = .float32) throws {
        try encodeReLU(into: stream, mode: 2, (a, "a"), (b, "b"), output: output, count: count,
                       name: "ReLU of a sum", precision: precision)
    }

    /// `inputGradient = 0 where mask ≤ 0, else outputGradient` over `count` elements. `mask` is the
    /// forward input or the forward output (both are positive at the same places; a NaN passes the
    /// gradient through, as in PyTorch); `inputGradient` may be `outputGradient`.
    public func encodeReLUBackward(into stream: CommandStream, outputGradient: Buffer, mask: Buffer, inputGradient: Buffer,
                                   count: Int, precision: Precision = .float32) throws {
        try encodeReLU(into: stream, mode: 1, (mask, "mask"), (outputGradient, "outputGradient"), output: inputGradient, count: count,
                       name: "ReLU backward", precision: precision)
    }

    /// `output = min(max(input, 0), 6)` over `count` elements (NaN stays NaN); `output` may be `input`.
    public func encodeReLU6(into stream: CommandStream, input: Buffer, output: Buffer, count: Int, precision: Precision = .float32) throws {
        try encodeReLU(into: stream, mode: 3, (input, "input"), (input, "input"), output: output, count: count,
                       name: "ReLU6", precision: precision)
    }

    /// `inputGradient = 0 where mask ≤ 0 or mask ≥ 6, else outputGradient` over `count` elements (PyTorch's
    /// `hardtanh_backward`). `mask` is the forward input or the forward output (both lie strictly between 0 and 6
    /// at the same places; a NaN passes the gradient through); `inputGradient` may be `outputGradient`.
    public func encodeReLU6Backward(into stream: CommandStream, outputGradient: Buffer, mask: Buffer, inputGradient: Buffer,
                                    count: Int, precision: Precision = .float32) throws {
        try encodeReLU(into: stream, mode: 4, (mask, "mask"), (outputGradient, "outputGradient"), output: inputGradient, count: count,
                       name: "ReLU6 backward", precision: precision)
    }

    private func encodeReLU(into stream: CommandStream, mode: UInt32, _ first: (Buffer, String), _ second: (Buffer, String),
                            output: Buffer, count: Int, name: String, precision: Precision) throws {
        _ = try ElementwiseLauncher.elementCount(name, [count])
        try ElementwiseLauncher.require("\(name) of \(count) values",
                                        [(first.1, first.0, count), (second.1, second.0, count), ("output", output, count)],
                                        precision: precision)
        let vectorized = count % 4 == 0
        let format = TexelFormat.values(precision, vector: vectorized)
        let kernel = try device.kernel(.relu, bindings: [.texel(format), .texel(format), .storage(.write)], pushConstants: ElementCount.self,
                                       localSize: [Self.localSize], constants: Specialization(mode: mode, vec: vectorized ? 4 : 1),
                                       precision: precision)
        try stream.dispatch(kernel, [first.0, second.0, output], push: ElementCount(count: count),
                            groups: ElementwiseLauncher.groups(units: vectorized ? count / 4 : count, localSize: Self.localSize))
    }
}
