import Foundation
import PackagePlugin

/// Compiles every `Shaders/*.comp` of the package with `glslc` and embeds the SPIR-V into the target
/// as base64 string literals, so the built binaries need no files at run time.
///
/// SwiftPM has no dep-file support for plugins, so every `*.glsl` include is listed as an input of the
/// command: editing an include rebuilds the shaders. The `Shaders` directory itself is an input too
/// and the embedder lists it when it runs, so adding or removing a shader is picked up even when
/// SwiftPM does not re-plan the build.
@main
struct ShaderCompiler: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let shaderDir = context.package.directoryURL.appending(path: "Shaders")
        let files = (try? FileManager.default.contentsOfDirectory(at: shaderDir, includingPropertiesForKeys: nil)) ?? []
        let sources = files.filter { $0.pathExtension == "comp" }.sorted { $0.path < $1.path }
        let includes = files.filter { $0.pathExtension == "glsl" }.sorted { $0.path < $1.path }
        guard !sources.isEmpty else { return [] }

        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedShaders.swift")
        let embedder = try context.tool(named: "ShaderEmbedder")
        let arguments = ["--output", output.path, "--shaders", shaderDir.path, "--work", context.pluginWorkDirectoryURL.path]
        return [
            .buildCommand(
                displayName: "Compiling \(sources.count) compute shaders with glslc",
                executable: embedder.url,
                arguments: arguments,
                inputFiles: [shaderDir] + sources + includes,
                outputFiles: [output]
            )
        ]
    }
}
