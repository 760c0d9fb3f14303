/// ReLU forward and backward on fp32 tensors (`relu.comp`), four elements per invocation when the
/// count allows.
///
/// x: [count]; outputs may be their input (in place). Kernels are built on first use and cached by
/// the device.
public struct ReLULauncher: Sendable {

    /// The specialization constants of `relu.comp`.
    ///
    /// - `mode`: constant_id 3: `MODE`: 0 forward, 1 backward
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
    public func encodeReLU(into stream: CommandStream, input: Buffer, output: Buffer, count: Int) throws {
        try encodeReLU(into: stream, mode: 0, first: input, second: input, output: output, count: count, name: "ReLU")
    }

    /// `inputGradient = 0 where mask ≤ 0, else outputGradient` over `count` elements. `mask` is the
    /// forward input or the forward output (both are positive at the same places; a NaN passes the
    /// gradient through, as in PyTorch); `inputGradient` may be `outputGradient`.
    public func encodeReLUBackward(into stream: CommandStream, outputGradient: Buffer, mask: Buffer, inputGradient: Buffer,
                                   count: Int) throws {
        try encodeReLU(into: stream, mode: 1, first: mask, second: outputGradient, output: inputGradient, count: count,
                       name: "ReLU backward")
    }

    private func encodeReLU(into stream: CommandStream, mode: UInt32, first: Buffer, second: Buffer, output: Buffer,
                            count: Int, name: String) throws {
        _ = try ElementwiseLauncher.elementCount(name, [count])
        try ElementwiseLauncher.require("\(name) of \(count) values",
                                        [("input", first, count), ("gradient", second, count), ("output", output, count)])
        let vectorized = count % 4 == 0
        let format: TexelFormat = vectorized ? .rgba32f : .r32f
        let kernel = try device.kernel(.relu, bindings: [.texel(format), .texel(format), .storage(.write)], pushConstants: ElementCount.self,
                                       localSize: [Self.localSize], constants: Specialization(mode: mode, vec: vectorized ? 4 : 1))
        try stream.dispatch(kernel, [first, second, output], push: ElementCount(count: count),
                            groups: ElementwiseLauncher.groups(units: vectorized ? count / 4 : count, localSize: Self.localSize))
    }
}
