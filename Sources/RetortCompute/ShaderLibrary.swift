import Foundation

/// The SPIR-V modules compiled from `Shaders/*.comp` at build time and embedded in the binary, looked
/// up by name (``Shader`` is the typed form).
public enum ShaderLibrary {
    /// Names of every embedded shader (the `.comp` file names without extension), sorted.
    public static var names: [String] { Shader.embeddedModules.keys.sorted() }

    /// The SPIR-V words of the named shader.
    public static func spirv(named name: String) throws -> [UInt32] {
        guard let shader = Shader(rawValue: name) else {
            throw VulkanError.shaderNotFound(name: name, available: names)
        }
        return try shader.spirv()
    }
}
