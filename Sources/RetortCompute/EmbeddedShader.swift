import Foundation

/// A set of compute shaders compiled at build time and embedded in a module: the `Shader` enum of
/// this module (the shipped kernels) or a test target's own enum. The build writes the conforming
/// enum, one case per `.comp` file whose raw value is the file stem.
///
/// ``Device/kernel(_:bindings:pushConstants:localSize:constants:)`` takes any such case.
public protocol EmbeddedShader: RawRepresentable<String>, CaseIterable, Hashable, Sendable {
    /// SPIR-V modules by shader name (the raw values), base64-encoded.
    static var embeddedModules: [String: String] { get }
}

extension EmbeddedShader {
    /// The shader's file stem, e.g. `matmul_tiled`.
    public var name: String { rawValue }

    /// Whether the shader was also compiled for `precision` (its `// precisions:` line names it).
    public func supports(_ precision: Precision) -> Bool {
        Self.embeddedModules[rawValue + (precision.shaderSuffix ?? "")] != nil
    }

    /// The SPIR-V words of this shader (of its variant for `precision`); throws
    /// ``VulkanError/shaderNotFound(name:available:)`` when the module was not embedded.
    public func spirv(precision: Precision = .float32) throws -> [UInt32] {
        let key = rawValue + (precision.shaderSuffix ?? "")
        guard let base64 = Self.embeddedModules[key], let data = Data(base64Encoded: base64) else {
            throw VulkanError.shaderNotFound(name: key, available: Self.embeddedModules.keys.sorted())
        }
        return data.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
    }
}
