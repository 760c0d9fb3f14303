import Foundation

/// The SPIR-V modules compiled from `Shaders/*.comp` at build time and embedded in the binary.
public enum ShaderLibrary {
    /// Names of every embedded shader (the `.comp` file names without extension), sorted.
    public static var names: [String] { embedded.keys.sorted() }

    /// The SPIR-V words of the named shader.
    public static func spirv(named name: String) throws -> [UInt32] {
        guard let base64 = embedded[name], let data = Data(base64Encoded: base64) else {
            throw VulkanError.shaderNotFound(name: name, available: names)
        }
        return data.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
    }
}
