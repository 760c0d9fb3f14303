/// Conversion between fp32 and fp16/bf16 (`cast.comp`), with an optional scale: how mixed-precision
/// training makes a parameter's 16-bit working copy from its fp32 master and takes a 16-bit gradient back
/// to fp32 (scaled by 1 / the loss scale, when unscaling).
///
/// x: [count] → y: [count]; one side is fp32, the other `precision`. Rounding is to nearest even; values
/// beyond the 16-bit range become ±inf (fp16's largest is 65504), NaN stays NaN.
public struct CastLauncher: Sendable {
    /// The specialization constant of `cast.comp`: constant_id 3, `MODE`: 0 narrow (fp32 → 16-bit), 1 widen.
    public struct Specialization: SpecializationConstants {
        public var mode: UInt32
        public var values: [ShaderValue] { [.uint(mode)] }
    }

    /// The push constants of `cast.comp`.
    public struct Push: PushConstants {
        public static let count = 2
        public var count: Int
        public var scale: Float
        public var values: [ShaderValue] { [.count(count), .float(scale)] }
    }

    public let device: Device
    private static let localSize: UInt32 = 64

    public init(device: Device) {
        self.device = device
    }

    /// `output = round(scale · input)`: `count` fp32 values into `precision`.
    public func encodeNarrow(into stream: CommandStream, input: Buffer, output: Buffer, count: Int, precision: Precision,
                             scale: Float = 1) throws {
        try encode(stream, mode: 0, input: (input, .float32), output: (output, precision), count: count, scale: scale)
    }

    /// `output = scale · input`: `count` values of `precision` into fp32.
    public func encodeWiden(into stream: CommandStream, input: Buffer, output: Buffer, count: Int, precision: Precision,
                            scale: Float = 1) throws {
        try encode(stream, mode: 1, input: (input, precision), output: (output, .float32), count: count, scale: scale)
    }

    private func encode(_ stream: CommandStream, mode: UInt32, input: (Buffer, Precision), output: (Buffer, Precision), count: Int,
                        scale: Float) throws {
        let name = mode == 0 ? "cast to \(output.1)" : "cast from \(input.1)"
        _ = try ElementwiseLauncher.elementCount(name, [count])
        try ElementwiseLauncher.require(name, [("input", input.0, count)], precision: input.1)
        try ElementwiseLauncher.require(name, [("output", output.0, count)], precision: output.1)
        let precision = mode == 0 ? output.1 : input.1
        let kernel = try device.kernel(.cast, bindings: [.storage(.read), .storage(.write)], pushConstants: Push.self,
                                       localSize: [Self.localSize], constants: Specialization(mode: mode), precision: precision)
        try stream.dispatch(kernel, [input.0, output.0], push: Push(count: count, scale: scale),
                            groups: ElementwiseLauncher.groups(units: count, localSize: Self.localSize))
    }
}
