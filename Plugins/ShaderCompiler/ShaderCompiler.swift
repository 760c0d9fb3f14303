import Foundation
import PackagePlugin

/// Compiles a target's compute shaders with `glslc` and embeds the SPIR-V into the target as base64
/// string literals, so the built binaries need no files at run time. It also writes the typed shader
/// ids: a `public enum` with one case per `.comp` file.
///
/// Where the shaders are: a `Shaders` folder inside the target's directory if there is one (test
/// targets keep their test-only shaders there, `RetortDistill` its distillation-only kernels), else the package's `Shaders` folder (the shipped
/// kernels of `RetortCompute`). The enum is `Shader`, or the name ``enumNames`` gives the target.
///
/// SwiftPM has no dep-file support for plugins, so every `*.glsl` include is listed as an input of the
/// command: editing an include rebuilds the shaders. The shader directory itself is an input too
/// and the embedder lists it when it runs, so adding or removing a shader is picked up even when
/// SwiftPM does not re-plan the build.
@main
struct ShaderCompiler: BuildToolPlugin {
    /// The generated enum's name for targets whose shaders must not be called `Shader`.
    static let enumNames = ["RetortTestSupport": "TestShader", "RetortDistill": "DistillationShader"]
    /// The module that declares `EmbeddedShader`; other targets import it.
    static let computeModule = "RetortCompute"

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let own = target.directoryURL.appending(path: "Shaders")
        var isDirectory: ObjCBool = false
        let hasOwn = FileManager.default.fileExists(atPath: own.path, isDirectory: &isDirectory) && isDirectory.boolValue
        let shaderDir = hasOwn ? own : context.package.directoryURL.appending(path: "Shaders")
        let files = (try? FileManager.default.contentsOfDirectory(at: shaderDir, includingPropertiesForKeys: nil)) ?? []
        let sources = files.filter { $0.pathExtension == "comp" }.sorted { $0.path < $1.path }
        let includes = files.filter { $0.pathExtension == "glsl" }.sorted { $0.path < $1.path }
        guard !sources.isEmpty else { return [] }

        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedShaders.swift")
        let embedder = try context.tool(named: "ShaderEmbedder")
        var arguments = ["--output", output.path, "--shaders", shaderDir.path, "--work", context.pluginWorkDirectoryURL.path,
                         "--enum", Self.enumNames[target.name] ?? "Shader"]
        if target.name != Self.computeModule { arguments += ["--import", Self.computeModule] }
        return [
            .buildCommand(
                displayName: "Compiling \(sources.count) compute shaders of \(target.name) with glslc",
                executable: embedder.url,
                arguments: arguments,
                inputFiles: [shaderDir] + sources + includes,
                outputFiles: [output]
            )
        ]
    }
}
