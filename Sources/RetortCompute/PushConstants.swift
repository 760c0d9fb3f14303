/// A shader's push-constant block as a struct: one named field per value, in the order the shader
/// declares them (each 4 bytes; a `uvec4` is four fields).
///
/// Launchers build these instead of positional arrays: `Device.kernel(_:bindings:pushConstants:…)` takes
/// the type, so a kernel's declared size comes from the struct, and `CommandStream.dispatch(_:_:push:groups:)`
/// takes a value.
public protocol PushConstants: Sendable {
    /// Number of 4-byte values in the block.
    static var count: Int { get }
    /// The fields as the shader reads them, in declaration order: ``count`` values.
    var values: [ShaderValue] { get }
}

/// A shader's own specialization constants as a struct: one field per `constant_id`, from 3 on
/// (0–2 are the workgroup size, set from the kernel's local size). Two values that differ build two
/// pipelines.
public protocol SpecializationConstants: Sendable, Hashable {
    /// The constants in `constant_id` order, starting at 3.
    var values: [ShaderValue] { get }
}

/// The push constants of the shaders whose only push constant is the element count
/// (`elementwise.comp`, `relu.comp`, `unary.comp`).
public struct ElementCount: PushConstants {
    public static let count = 1
    /// Elements to process.
    public var count: Int
    public var values: [ShaderValue] { [.count(count)] }
}

/// For shaders without specialization constants of their own.
public struct NoSpecializationConstants: SpecializationConstants {
    public init() {}
    public var values: [ShaderValue] { [] }
}

/// The specialization of the in-place element-wise shaders whose only constant is `VEC` (`sgd.comp`,
/// `adamw.comp`).
public struct VectorWidth: SpecializationConstants {
    /// constant_id 3: `VEC`, elements per invocation: 1, or 4 (vec4 storage and RGBA32F texel views;
    /// counts divisible by 4).
    public var vec: UInt32

    public var values: [ShaderValue] { [.uint(vec)] }
}

extension Device {
    /// The pipeline for `shader` with the push-constant block `pushConstants` and the specialization
    /// `constants`, built on first request and shared afterwards.
    public func kernel<P: PushConstants, C: SpecializationConstants>(
        _ shader: Shader, bindings: [Kernel.Binding], pushConstants: P.Type, localSize: [UInt32] = [64, 1, 1],
        constants: C = NoSpecializationConstants(), precision: Precision = .float32, subgroups: SubgroupLayout = .any
    ) throws -> Kernel {
        try kernel(shader, bindings: bindings, pushConstants: P.count, localSize: localSize, constants: constants.values,
                   precision: precision, subgroups: subgroups)
    }

    /// The same for a shader of another target's library (`DistillationShader`, `TestShader`).
    public func kernel<S: EmbeddedShader, P: PushConstants, C: SpecializationConstants>(
        _ shader: S, bindings: [Kernel.Binding], pushConstants: P.Type, localSize: [UInt32] = [64, 1, 1],
        constants: C = NoSpecializationConstants(), subgroups: SubgroupLayout = .any
    ) throws -> Kernel {
        try kernel(shader, bindings: bindings, pushConstants: P.count, localSize: localSize, constants: constants.values,
                   subgroups: subgroups)
    }
}

extension CommandStream {
    /// Records one dispatch of `kernel` with the push-constant block `push`.
    public func dispatch<P: PushConstants>(_ kernel: Kernel, _ buffers: [Buffer], push: P, groups: (Int, Int, Int)) throws {
        let values = push.values
        assert(values.count == P.count, "\(P.self) encodes \(values.count) values but declares \(P.count)")
        try dispatch(kernel, buffers, push: values, groups: groups)
    }
}
